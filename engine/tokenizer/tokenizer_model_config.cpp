// makeTokenizerModel: the model tokenizer.json's "model.type" names (see
// tokenizer_model_config.h).
#include "engine/tokenizer/tokenizer_model_config.h"

namespace lwb {

std::unique_ptr<const TokenizerModel> makeTokenizerModel(const ModelConfig &config, const std::string &source)
{
    return std::visit(
        [&](const auto &settings) -> std::unique_ptr<const TokenizerModel> {
            using Settings = std::decay_t<decltype(settings)>;
            if constexpr (std::is_same_v<Settings, BpeModelConfig>)
                return std::make_unique<BpeModel>(settings, source);
            else if constexpr (std::is_same_v<Settings, UnigramModelConfig>)
                return std::make_unique<UnigramModel>(settings, source);
            else
                return std::make_unique<WordPieceModel>(settings, source);
        },
        config);
}

} // namespace lwb
