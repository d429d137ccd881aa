// See playground_worker.h.
#include "ui/playground_worker.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/sira_token_experts.h"
#include "engine/adapters/variant_traits.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/data/sequence_format.h"
#include "engine/model/base_model.h"
#include "engine/model/generation.h"
#include "engine/train/checkpoint.h"

#include <QJsonDocument>
#include <QThread>

#include <torch/cuda.h>
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>
#include <optional>

namespace lwb::ui {

struct PlaygroundWorker::Loaded
{
    std::string checkpoint; // as asked, to know when another run is asked
    lwb::RunConfig config;
    lwb::CausalLM model{nullptr};
    std::optional<lwb::SequenceFormat> format;
    torch::Device device{torch::kCPU};
    bool routed = false; // SiRA: experts per token
    QString description;
};

namespace {

// Thrown by the per-token watcher when cancel() was called.
struct AnswerCancelled
{
};

std::shared_ptr<PlaygroundWorker::Loaded> loadRun(const std::string &checkpoint)
{
    auto loaded = std::make_shared<PlaygroundWorker::Loaded>();
    loaded->checkpoint = checkpoint;
    const auto path = lwb::resolveCheckpoint(checkpoint);
    const auto info = lwb::readCheckpointInfo(path);
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(info.configJson);
    } catch (const nlohmann::json::parse_error &e) {
        throw lwb::Error(path, std::string("the stored run config is not valid JSON: ") + e.what());
    }
    loaded->config = lwb::parseRunConfig(document, path + " (stored config)");
    const auto &config = loaded->config;
    if (lwb::isStudyVariant(config.adapter.variant))
        throw lwb::Error(path, "is a DLP-LoRA study; ask it in the DLP-LoRA tab");
    loaded->model = lwb::buildBaseModel(config.model);
    lwb::attachAdapters(*loaded->model, config.adapter);
    lwb::loadCheckpointWeights(path, *loaded->model);
    loaded->model->eval();
    // The run's device when it is here; a CUDA run opened on a machine without one answers on the CPU.
    if (config.device.rfind("cuda", 0) == 0 && torch::cuda::is_available())
        loaded->device = torch::Device(config.device);
    loaded->model->to(loaded->device);
    loaded->format.emplace(lwb::SequenceFormat::forModel(config.model));
    loaded->routed = lwb::reportsRouting(config.adapter.variant);
    const auto &base = config.model;
    loaded->description = QStringLiteral("%1 + %2 (step %3) on %4")
                              .arg(QString::fromStdString(base.path.empty() ? base.preset : base.path),
                                   QString::fromStdString(config.adapter.variant))
                              .arg(info.step)
                              .arg(QString::fromStdString(loaded->device.str()));
    return loaded;
}

// The prompt as the model sees it: typed text, or the chat rendered by the
// base's chat template (engine/data/chat_format.h) up to the assistant's turn.
std::string promptText(const lwb::SequenceFormat &format, const PlaygroundQuestion &question)
{
    if (question.messages.isEmpty())
        return question.prompt.toStdString();
    auto messages
        = nlohmann::json::parse(QJsonDocument(question.messages).toJson(QJsonDocument::Compact).toStdString());
    messages.push_back({{"role", "assistant"}, {"content", ""}}); // split() renders all but the last
    std::string prompt;
    std::string answer;
    format.chatFormat().split(messages, prompt, answer, "playground chat");
    return prompt;
}

lwb::GenerationOptions generationOptions(const PlaygroundWorker::Loaded &loaded, const PlaygroundSampling &sampling)
{
    lwb::GenerationOptions options;
    options.maxNewTokens = sampling.maxNewTokens;
    options.eosIds = loaded.format->stopIds();
    options.temperature = sampling.temperature;
    options.topK = sampling.topK;
    options.topP = sampling.topP;
    options.repetitionPenalty = sampling.repetitionPenalty;
    for (const auto &stop : sampling.stopStrings)
        if (!stop.isEmpty())
            options.stopStrings.push_back(stop.toStdString());
    const auto *format = &*loaded.format;
    options.detokenize = [format](const std::vector<std::int64_t> &ids) { return format->answerText(ids); };
    options.routedDecoding = loaded.config.eval.siraDecodeCapacity == "per_pass" ? lwb::RoutedDecoding::PerPass
                                                                                 : lwb::RoutedDecoding::FullSequence;
    return options;
}

// The alternatives' texts; a special token (no text) reads as its id.
QString tokenLabel(const lwb::SequenceFormat &format, std::int64_t id)
{
    const auto text = QString::fromStdString(format.answerText({id}));
    return text.isEmpty() ? QStringLiteral("<%1>").arg(id) : text;
}

} // namespace

PlaygroundWorker::PlaygroundWorker(QObject *parent)
    : QObject(parent)
{
    qRegisterMetaType<lwb::ui::PlaygroundToken>();
    qRegisterMetaType<lwb::ui::PlaygroundAnswer>();
}

PlaygroundWorker::~PlaygroundWorker()
{
    cancel_.store(true);
    if (thread_)
        thread_->wait();
}

bool PlaygroundWorker::isRunning() const
{
    return busy_;
}

void PlaygroundWorker::cancel()
{
    if (!isRunning() || cancel_.load())
        return;
    chosenAtCancel_.store(chosen_.load());
    cancel_.store(true);
}

bool PlaygroundWorker::ask(const PlaygroundQuestion &question)
{
    if (busy_)
        return false;
    if (thread_)
        thread_->wait(); // the last answer's thread, returning after its queued answer
    busy_ = true;
    cancel_.store(false);
    chosen_.store(0);
    chosenAtCancel_.store(-1);
    thread_.reset(QThread::create([this, question] {
        try {
            answer(question);
        } catch (const std::exception &error) {
            const QString message = QString::fromUtf8(error.what());
            QMetaObject::invokeMethod(
                this,
                [this, message] {
                    busy_ = false;
                    Q_EMIT failed(message);
                },
                Qt::QueuedConnection);
        }
    }));
    thread_->setObjectName(QStringLiteral("lwb-playground"));
    thread_->start();
    return true;
}

void PlaygroundWorker::answer(const PlaygroundQuestion &question)
{
    // Only this thread touches loaded_ (one question at a time).
    const auto checkpoint = question.checkpoint.toStdString();
    if (!loaded_ || loaded_->checkpoint != checkpoint) {
        loaded_.reset();
        loaded_ = loadRun(checkpoint);
    }
    auto &loaded = *loaded_;
    const auto &format = *loaded.format;
    PlaygroundAnswer result;
    result.model = loaded.description;
    const auto prompt = promptText(format, question);
    result.promptText = QString::fromStdString(prompt);
    auto options = generationOptions(loaded, question.sampling);

    std::vector<std::int64_t> generated; // the answer's tokens so far (no end id)
    std::string text;                    // their text
    options.onChosen = [&](const lwb::ChosenTokens &chosen) {
        chosen_.fetch_add(1);
        const auto id = chosen.tokens.front();
        const bool isEnd = std::find(options.eosIds.begin(), options.eosIds.end(), id) != options.eosIds.end();
        if (!isEnd) {
            PlaygroundToken token;
            token.index = static_cast<int>(generated.size());
            token.id = id;
            generated.push_back(id);
            // The text a token adds is the difference of the decoded prefixes,
            // so a character spread over several byte tokens reads whole.
            const auto now = format.answerText(generated);
            token.text = QString::fromStdString(now.rfind(text, 0) == 0 ? now.substr(text.size()) : now);
            text = now;
            const auto probabilities = torch::softmax(chosen.logits[0].to(torch::kFloat64), 0).cpu();
            token.probability = probabilities[id].item<double>();
            const auto top = probabilities.topk(std::min<std::int64_t>(5, probabilities.size(0)));
            const auto values = std::get<0>(top);
            const auto ids = std::get<1>(top);
            for (std::int64_t k = 0; k < values.size(0); ++k)
                token.alternatives.push_back(
                    {tokenLabel(format, ids[k].item<std::int64_t>()), values[k].item<double>()});
            if (loaded.routed) {
                for (const auto &layer : lwb::lastTokenExperts(*loaded.model)) {
                    PlaygroundToken::LayerExperts shown;
                    shown.layer = QString::fromStdString(layer.layer);
                    shown.experts = QVector<qint64>(layer.experts.begin(), layer.experts.end());
                    shown.gates = QVector<double>(layer.gates.begin(), layer.gates.end());
                    token.experts.push_back(shown);
                }
            }
            QMetaObject::invokeMethod(
                this, [this, token] { Q_EMIT tokenArrived(token); }, Qt::QueuedConnection);
        }
        if (cancel_.load())
            throw AnswerCancelled{};
    };

    torch::manual_seed(question.sampling.seed);
    const std::vector<std::vector<std::int64_t>> prompts{format.promptIds(prompt)};
    try {
        const auto sequences = lwb::generate(*loaded.model, prompts, loaded.device, options);
        const auto &sequence = sequences.front();
        if (!sequence.stopString.empty()) {
            result.ending = QStringLiteral("stop string \"%1\"").arg(QString::fromStdString(sequence.stopString));
            text = text.substr(0, text.find(sequence.stopString)); // the caller cuts at the stop string
        } else {
            result.ending = sequence.finished ? QStringLiteral("end token") : QStringLiteral("max new tokens");
        }
    } catch (const AnswerCancelled &) {
        result.ending = QStringLiteral("cancelled");
        result.tokensAfterCancel = chosen_.load() - std::max(0, chosenAtCancel_.load());
    }
    result.text = QString::fromStdString(text);
    result.tokens = static_cast<int>(generated.size());
    QMetaObject::invokeMethod(
        this,
        [this, result] {
            busy_ = false;
            Q_EMIT answered(result);
        },
        Qt::QueuedConnection);
}

} // namespace lwb::ui
