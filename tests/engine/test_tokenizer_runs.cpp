// Runs on a checkpoint folder that has its own tokenizer.json
// (engine/data/sequence_format.h): which BOS / EOS / pad a tokenizer gives a
// sequence, batches whose pad is EOS (masked by length), and a training run
// whose data, evaluation and exact match go through the folder's BPE
// tokenizer, including tokenizers cut from the real Qwen3 and Llama 2 ones; chat lines
// through the folder's chat template (tokenizer_config.json).
#include "engine/adapters/adapter_registry.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/data/batch_builder.h"
#include "engine/data/data_source.h"
#include "engine/data/jsonl_dataset.h"
#include "engine/export/run_export.h"
#include "engine/model/base_model.h"
#include "engine/model/hf_checkpoint.h"
#include "engine/tensor_io/safetensors_writer.h"
#include "engine/tokenizer/bpe_tokenizer.h"
#include "engine/train/trainer.h"
#include "error_capture.h"
#include "tiny_tokenizer.h"
#include "train_observers.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <numeric>

namespace {

using Json = nlohmann::json;
using Ids = std::vector<std::int64_t>;
using lwb::test::contains;
using lwb::test::errorOf;

// Merges that make common pieces of the built-in tasks' text one token.
const std::vector<std::pair<std::string, std::string>> kMerges{
    {"e", "r"}, {"p", "p"},      {"u", "pp"},  {"upp", "er"},  {"r", "e"},   {"v", "e"}, {"re", "ve"},   {"reve", "r"},
    {"s", "e"}, {"rever", "se"}, {"l", "e"},   {"n", "g"},     {"le", "ng"}, {"t", "h"}, {"leng", "th"}, {"f", "i"},
    {"r", "s"}, {"t", ":"},      {"fi", "rs"}, {"firs", "t:"}, {"a", "n"},   {"i", "n"}, {"o", "n"},     {"e", "n"},
};
constexpr std::int64_t kSpecialId = 300; // <|endoftext|>, after the merges' ids

// The tiny tokenizer with kMerges and one special token (GPT-2's
// <|endoftext|>) unless `specials` says otherwise.
Json tokenizerJson(Json specials = Json::array({{{"id", kSpecialId}, {"content", "<|endoftext|>"}, {"special", true}}}))
{
    auto json = lwb::test::tinyTokenizerJson(kMerges);
    json["added_tokens"] = std::move(specials);
    return json;
}

void writeText(const std::string &path, const std::string &text)
{
    std::ofstream(path, std::ios::binary) << text;
}

lwb::SequenceFormat formatIn(const QTemporaryDir &dir)
{
    const auto file = dir.path().toStdString() + "/tokenizer.json";
    return lwb::SequenceFormat(lwb::BpeTokenizer::fromFile(file), file);
}

// A small Llama-style shape with room for the tokenizer's ids.
Json smallModel(std::int64_t vocabSize)
{
    return {{"preset", "llama-tiny"},   {"hidden_size", 64},       {"num_hidden_layers", 2}, {"num_attention_heads", 4},
            {"num_key_value_heads", 2}, {"intermediate_size", 96}, {"vocab_size", vocabSize}};
}

// The preset's random base as a Hugging Face folder, with the tokenizer files.
void writeModelFolder(const Json &model, const QString &folder, const Json &tokenizer, const Json &tokenizerConfig)
{
    const auto dir = folder.toStdString();
    const auto config = lwb::parseRunConfig({{"model", model}}, "test").model;
    lwb::CausalLM base(config);
    writeText(dir + "/config.json", lwb::hfConfigJson(config, "float32").dump(2));
    lwb::writeSafetensors(dir + "/model.safetensors", lwb::hfStateDict(*base));
    writeText(dir + "/tokenizer.json", tokenizer.dump());
    writeText(dir + "/tokenizer_config.json", tokenizerConfig.dump());
}

Json runDocument(const QString &modelFolder, const QString &outputDir, std::int64_t steps)
{
    return {
        {"name", "tokenizer-run-test"},
        {"seed", 5},
        {"model", {{"path", modelFolder.toStdString()}}},
        {"data", {{"tasks", {"first", "length", "upper", "reverse"}}, {"seq_len", 32}, {"eval_examples", 32}}},
        {"adapter", {{"variant", "lora"}, {"r", 8}, {"alpha", 16}, {"dropout", 0.0}}},
        {"training",
         {{"steps", steps},
          {"batch_size", 8},
          {"lr", 0.01},
          {"warmup_steps", 5},
          {"output_dir", outputDir.toStdString()}}},
        {"eval", {{"every", 0}, {"batch_size", 16}}},
    };
}

double mean(const std::vector<double> &values, std::size_t from, std::size_t to)
{
    return std::accumulate(values.begin() + static_cast<std::ptrdiff_t>(from),
                           values.begin() + static_cast<std::ptrdiff_t>(to), 0.0)
           / static_cast<double>(to - from);
}

} // namespace

class TestTokenizerRuns : public QObject
{
    Q_OBJECT

private slots:
    void byteFormatIsTheBuiltInModels()
    {
        const auto format = lwb::SequenceFormat::byteLevel();
        QCOMPARE(format.promptIds("ab"), (Ids{256, 97, 98}));
        QCOMPARE(format.answerIds("c"), (Ids{99, 257}));
        QCOMPARE(format.padId(), std::int64_t(258));
        QVERIFY(format.byteLevelTokens());
    }

    void bosFollowsTheTokenizerFiles()
    {
        QTemporaryDir dir;
        const auto path = dir.path().toStdString();
        const Json specials = Json::array({{{"id", 300}, {"content", "<|endoftext|>"}, {"special", true}},
                                           {{"id", 301}, {"content", "<s>"}, {"special", true}}});
        writeText(path + "/tokenizer.json", tokenizerJson(specials).dump());

        // GPT-2: bos_token is set but not added (no add_bos_token, no template); pad falls back to EOS.
        writeText(path + "/tokenizer_config.json", R"({"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"})");
        auto format = formatIn(dir);
        const auto upper = format.tokenizer().encode("upper");
        QCOMPARE(upper.size(), std::size_t(1)); // merged into one token
        QCOMPARE(format.promptIds("upper"), upper);
        QCOMPARE(format.answerIds("upper"), (Ids{upper[0], 300}));
        QCOMPARE(format.padId(), std::int64_t(300));
        QVERIFY(!format.byteLevelTokens());

        // add_bos_token says so.
        writeText(path + "/tokenizer_config.json",
                  R"({"bos_token": "<s>", "eos_token": "<|endoftext|>", "add_bos_token": true})");
        QCOMPARE(formatIn(dir).promptIds("upper"), (Ids{301, upper[0]}));

        // Without it, a post-processor template that starts with the BOS (Llama-3's) says so.
        Json templated = tokenizerJson(specials);
        templated["post_processor"] = {
            {"type", "Sequence"},
            {"processors",
             {{{"type", "ByteLevel"}},
              {{"type", "TemplateProcessing"},
               {"single",
                {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}}, {{"Sequence", {{"id", "A"}, {"type_id", 0}}}}}},
               {"pair",
                {{{"SpecialToken", {{"id", "<s>"}, {"type_id", 0}}}},
                 {{"Sequence", {{"id", "A"}, {"type_id", 0}}}},
                 {{"Sequence", {{"id", "B"}, {"type_id", 1}}}}}},
               {"special_tokens", {{"<s>", {{"id", "<s>"}, {"ids", {301}}, {"tokens", {"<s>"}}}}}}}}}};
        writeText(path + "/tokenizer.json", templated.dump());
        writeText(path + "/tokenizer_config.json", R"({"bos_token": "<s>", "eos_token": "<|endoftext|>"})");
        QCOMPARE(formatIn(dir).promptIds("upper"), (Ids{301, upper[0]}));
        // add_bos_token false wins over the template.
        writeText(path + "/tokenizer_config.json",
                  R"({"bos_token": "<s>", "eos_token": "<|endoftext|>", "add_bos_token": false})");
        QCOMPARE(formatIn(dir).promptIds("upper"), upper);
        writeText(path + "/tokenizer_config.json", R"({"add_bos_token": "yes", "eos_token": "<|endoftext|>"})");
        QVERIFY(
            contains(errorOf([&] { formatIn(dir); }), "tokenizer_config.json: add_bos_token: expected true or false"));

        // No EOS: the folder still loads (scoring needs none), but nothing could end an answer.
        writeText(path + "/tokenizer_config.json", R"({"bos_token": "<s>"})");
        const auto noEos = errorOf([&] { formatIn(dir).answerIds("upper"); });
        QVERIFY2(contains(noEos, path + "/tokenizer.json") && contains(noEos, "no eos_token"), noEos.c_str());
    }

    void batchesMaskPaddingByLengthWhenPadIsEos()
    {
        QTemporaryDir dir;
        writeText(dir.path().toStdString() + "/tokenizer.json", tokenizerJson().dump());
        writeText(dir.path().toStdString() + "/tokenizer_config.json", R"({"eos_token": "<|endoftext|>"})");
        const auto format = formatIn(dir);
        const auto &tokenizer = format.tokenizer();
        // The first prompt holds the EOS/pad token as text: a real token, kept in the mask.
        const std::vector<lwb::TaskExample> examples{{"upper", "upper: a<|endoftext|>\n", "A"}, {"first", "f\n", "o"}};
        const auto batch = lwb::buildBatch(examples, format, 64);

        const Ids prompt0 = tokenizer.encode(examples[0].prompt), prompt1 = tokenizer.encode(examples[1].prompt);
        QVERIFY(std::find(prompt0.begin(), prompt0.end(), kSpecialId) != prompt0.end());
        Ids sequence0 = prompt0, sequence1 = prompt1;
        sequence0.insert(sequence0.end(), {'A', kSpecialId});
        sequence1.insert(sequence1.end(), {'o', kSpecialId});
        const auto width = static_cast<std::int64_t>(sequence0.size()) - 1;
        QCOMPARE(batch.inputIds.size(1), width);
        QVERIFY(sequence1.size() < sequence0.size());
        for (std::int64_t t = 0; t < width; ++t) {
            QCOMPARE(batch.inputIds[0][t].item<std::int64_t>(), sequence0[static_cast<std::size_t>(t)]);
            QVERIFY(batch.tokenMask[0][t].item<bool>());
            const bool real1 = t + 1 < static_cast<std::int64_t>(sequence1.size());
            QCOMPARE(batch.tokenMask[1][t].item<bool>(), real1);
            QCOMPARE(batch.inputIds[1][t].item<std::int64_t>(),
                     real1 ? sequence1[static_cast<std::size_t>(t)] : kSpecialId);
            // Labels: the answer and EOS only (no BOS here: the prompt starts at position 0).
            const auto scored0 = t + 1 >= static_cast<std::int64_t>(prompt0.size());
            QCOMPARE(batch.labels[0][t].item<std::int64_t>(),
                     scored0 ? sequence0[static_cast<std::size_t>(t + 1)] : -100);
            const auto scored1 = real1 && t + 1 >= static_cast<std::int64_t>(prompt1.size());
            QCOMPARE(batch.labels[1][t].item<std::int64_t>(),
                     scored1 ? sequence1[static_cast<std::size_t>(t + 1)] : -100);
        }
        QCOMPARE(batch.scoredTokens, std::int64_t(4));
        QCOMPARE(batch.inputTokens, static_cast<std::int64_t>(sequence0.size() + sequence1.size() - 2));
    }

    void aRunTrainsThroughTheFolderTokenizer()
    {
        QTemporaryDir folder, output;
        writeModelFolder(smallModel(320), folder.path(), tokenizerJson(), {{"eos_token", "<|endoftext|>"}});
        const auto config = lwb::parseRunConfig(runDocument(folder.path(), output.path(), 400), "test");
        lwb::Trainer trainer(config);
        lwb::test::Collect collect;
        trainer.addObserver(&collect);
        QCOMPARE(trainer.run(), lwb::RunOutcome::Finished);

        // The data went through the BPE tokenizer: fewer tokens than bytes + specials.
        const auto data = lwb::makeTaskData(config.data, config.seed, lwb::SequenceFormat::forModel(config.model));
        QVERIFY(!data->format().byteLevelTokens());
        std::int64_t bytes = 0, tokens = 0;
        for (const auto &example : data->evalExamples())
            bytes += static_cast<std::int64_t>(example.prompt.size() + example.answer.size()) + 1;
        for (const auto &batch : data->evalBatches(16))
            tokens += batch.inputTokens + static_cast<std::int64_t>(batch.tasks.size()); // + the last token of each
        QVERIFY2(tokens < bytes, (std::to_string(tokens) + " tokens for " + std::to_string(bytes) + " bytes").c_str());

        // It learnt: the loss fell, and the evaluation decoded answers per task.
        const auto &losses = trainer.losses();
        QVERIFY2(mean(losses, 390, 400) < 0.6 * mean(losses, 0, 10),
                 (std::to_string(mean(losses, 0, 10)) + " -> " + std::to_string(mean(losses, 390, 400))).c_str());
        QVERIFY(!collect.evals.empty());
        const auto &last = collect.evals.back();
        QCOMPARE(last.exactMatchByTask.size(), std::size_t(4));
        std::string scores;
        for (const auto &[task, share] : last.exactMatchByTask)
            scores += task + " " + std::to_string(share) + " ";
        qInfo("exact match after 400 steps: %s", scores.c_str());
        // Letter counts are learnt above chance (~1/8); the same run on the byte
        // tokenizer reaches 100 %: counting letters through merged tokens is harder.
        // On 12 held-out words the share moves with rounding alone: 5/12 with the
        // loss through logits, 3/12 with the fused loss, whose first 30 steps
        // print the same losses and norms to 4 decimals.
        QVERIFY2(last.exactMatchByTask.at("length") > 0.2, scores.c_str());
    }

    // Chat lines go through the folder's chat template: the exact prompt and
    // answer strings, in ids with the template's special tokens; the list
    // form; errors for a template that is not prefix-stable (file:line) or
    // does not parse (tokenizer_config.json); the default without a template.
    void chatLinesUseTheFoldersTemplate()
    {
        QTemporaryDir dir;
        const auto path = dir.path().toStdString();
        const auto specials = Json::array({{{"id", 300}, {"content", "<|im_start|>"}, {"special", true}},
                                           {{"id", 301}, {"content", "<|im_end|>"}, {"special", true}}});
        writeText(path + "/tokenizer.json", tokenizerJson(specials).dump());
        const std::string chatml = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + "
                                   "message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
                                   "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
        const auto configFile = path + "/tokenizer_config.json";
        const auto writeConfig = [&](const Json &chatTemplate) {
            Json config{{"eos_token", "<|im_end|>"}};
            if (!chatTemplate.is_null())
                config["chat_template"] = chatTemplate;
            writeText(configFile, config.dump());
        };
        writeText(path + "/chat.jsonl",
                  R"({"messages":[{"role":"system","content":"Be brief."},)"
                  R"({"role":"user","content":"Opposite of good?"},{"role":"assistant","content":"bad"}]})"
                  "\n");
        lwb::DataConfig data;
        data.source = "jsonl";
        data.trainFile = path + "/chat.jsonl";
        data.evalFile = data.trainFile;
        data.tasks = {};
        const auto firstExample = [&] { return lwb::makeTaskData(data, 1, formatIn(dir))->evalExamples().at(0); };

        writeConfig(chatml);
        const auto example = firstExample();
        QCOMPARE(example.prompt, std::string("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"
                                             "Opposite of good?<|im_end|>\n<|im_start|>assistant\n"));
        QCOMPARE(example.answer, std::string("bad"));
        const auto format = formatIn(dir);
        QCOMPARE(format.promptIds(example.prompt).front(), std::int64_t(300));
        QCOMPARE(format.answerIds(example.answer), (Ids{98, 97, 100, 301}));
        // Exact match reads a reference as generation prints it: special-token text dropped.
        QCOMPARE(format.referenceText("bad<|im_start|>"), std::string("bad"));

        writeConfig(Json::array(
            {{{"name", "tool_use"}, {"template", "{{ tools }}"}}, {{"name", "default"}, {"template", chatml}}}));
        QCOMPARE(firstExample().prompt, example.prompt);

        writeConfig("{% for m in messages %}{% if loop.last %}[last]{% endif %}{{ m.content }}{% endfor %}");
        auto message = errorOf([&] { firstExample(); });
        QVERIFY2(contains(message, path + "/chat.jsonl:1: the chat template (" + configFile
                                       + ": chat_template) is not prefix-stable"),
                 message.c_str());

        writeConfig("{% if messages %}");
        data.skipBadLines = true;
        message = errorOf([&] { firstExample(); });
        QVERIFY2(contains(message, configFile + ": chat_template: line 1, column 4: {% if %} is never closed"),
                 message.c_str());

        writeConfig(nullptr);
        QCOMPARE(firstExample().prompt, std::string("system: Be brief.\nuser: Opposite of good?\nassistant: "));
    }

    void aTokenizerLargerThanTheModelIsRefused()
    {
        QTemporaryDir folder, output;
        writeModelFolder(smallModel(290), folder.path(), tokenizerJson(), {{"eos_token", "<|endoftext|>"}});
        lwb::Trainer trainer(lwb::parseRunConfig(runDocument(folder.path(), output.path(), 6), "test"));
        const auto message = errorOf([&] { trainer.run(); });
        QVERIFY2(contains(message, folder.path().toStdString() + "/tokenizer.json")
                     && contains(message, "has token ids up to 300, but the model's vocab_size is 290"),
                 message.c_str());
    }

    // Base and merged exports of such a run read text as the run did: the
    // tokenizer files come along, with the folder's special-token ids.
    void exportsKeepTheTokenizer()
    {
        QTemporaryDir folder, output, exports;
        writeModelFolder(smallModel(320), folder.path(), tokenizerJson(), {{"eos_token", "<|endoftext|>"}});
        const auto configPath = folder.path().toStdString() + "/config.json";
        auto hfConfig = Json::parse(std::ifstream(configPath));
        hfConfig["bos_token_id"] = kSpecialId;
        hfConfig["eos_token_id"] = kSpecialId;
        writeText(configPath, hfConfig.dump());
        const auto config = lwb::parseRunConfig(runDocument(folder.path(), output.path(), 6), "test");
        auto model = lwb::buildBaseModel(config.model);
        lwb::attachAdapters(*model, config.adapter);
        for (const std::string format : {"merged", "base"}) {
            lwb::RunExportRequest request;
            request.format = format;
            request.destination = exports.path().toStdString();
            request.name = format;
            const auto result = lwb::exportModel(config, *model, request);
            for (const char *name : {"tokenizer.json", "tokenizer_config.json"})
                QVERIFY2(std::filesystem::exists(result.folder + "/" + name), (format + ": " + name).c_str());
            const auto written = Json::parse(std::ifstream(result.folder + "/config.json"));
            QCOMPARE(written["eos_token_id"].get<std::int64_t>(), kSpecialId);
            QCOMPARE(written["bos_token_id"].get<std::int64_t>(), kSpecialId);
            const auto reread = lwb::SequenceFormat::forModelFolder(result.folder, 320);
            QVERIFY(!reread.byteLevelTokens());
            QCOMPARE(reread.eosId(), kSpecialId);
        }
    }

    // The real Qwen3 and Llama-3 templates (as committed with the chat peer
    // fixture) on the tokenizers cut from the real ones: Qwen3's answer keeps
    // its empty think block and loses <|im_end|> (EOS); Llama-3's original
    // template writes <|begin_of_text|>, which leaves the prompt when the
    // sequence starts with the BOS id already, so BOS comes once either way.
    void realTemplatesOnRealTokenizerCuts()
    {
        QVERIFY2(!qgetenv("LWB_SOURCE_DIR").isEmpty(), "run through ctest: LWB_SOURCE_DIR names the source tree");
        const std::string tests = std::string(qgetenv("LWB_SOURCE_DIR").constData()) + "/tests";
        const std::string peer = tests + "/tokenizer_peer";
        std::ifstream chatFixture(tests + "/chat_peer/fixtures/expected.json");
        const auto templates = Json::parse(chatFixture).at("templates");
        const auto line = Json::parse(
            R"({"messages":[{"role":"user","content":"What is 2+2?"},{"role":"assistant","content":"4"}]})");
        const auto exampleWith = [&](const std::string &name, Json config) {
            QTemporaryDir dir;
            std::ifstream tokenizer(peer + "/fixtures/" + name + "-mini/tokenizer.json");
            writeText(dir.path().toStdString() + "/tokenizer.json", Json::parse(tokenizer).dump());
            config["chat_template"] = templates.at(name).at("template");
            writeText(dir.path().toStdString() + "/tokenizer_config.json", config.dump());
            const auto format = formatIn(dir);
            auto example = lwb::parseJsonlExample(line, "chat.jsonl:1", format.chatFormat());
            return std::make_pair(example, format.promptIds(example.prompt));
        };
        const auto configOf = [&](const std::string &name) {
            std::ifstream file(peer + "/fixtures/" + name + "-mini/tokenizer_config.json");
            return Json::parse(file);
        };

        const auto [qwen, qwenIds] = exampleWith("qwen3", configOf("qwen3"));
        QCOMPARE(qwen.prompt, std::string("<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"));
        QCOMPARE(qwen.answer, std::string("<think>\n\n</think>\n\n4"));

        const std::string llamaTurns = "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                                       "<|start_header_id|>assistant<|end_header_id|>\n\n";
        auto llamaConfig = configOf("llama3");
        llamaConfig["add_bos_token"] = true;
        const auto [withBos, withBosIds] = exampleWith("llama3", llamaConfig);
        QCOMPARE(withBos.prompt, llamaTurns);
        // This template always ends with an assistant header, and EOS is <|end_of_text|>: kept as rendered.
        QCOMPARE(withBos.answer, "4<|eot_id|>" + llamaTurns.substr(llamaTurns.find("<|start_header_id|>assistant")));
        llamaConfig["add_bos_token"] = false;
        const auto [withoutBos, withoutBosIds] = exampleWith("llama3", llamaConfig);
        QCOMPARE(withoutBos.prompt, "<|begin_of_text|>" + llamaTurns);
        QCOMPARE(withBosIds, withoutBosIds);
        QCOMPARE(withBosIds.front(), std::int64_t(128000));
        QCOMPARE(std::count(withBosIds.begin(), withBosIds.end(), std::int64_t(128000)), std::ptrdiff_t(1));
    }

    // A tokenizer cut from the real Qwen3 one (real ids up to 151,668, ChatML
    // specials, no BOS, EOS <|im_end|>, pad <|endoftext|>) on a one-layer model.
    void aRunOnARealTokenizerCut()
    {
        QVERIFY2(!qgetenv("LWB_SOURCE_DIR").isEmpty(), "run through ctest: LWB_SOURCE_DIR names the source tree");
        const std::string mini
            = std::string(qgetenv("LWB_SOURCE_DIR").constData()) + "/tests/tokenizer_peer/fixtures/qwen3-mini";
        QTemporaryDir folder, output;
        std::ifstream tokenizerFile(mini + "/tokenizer.json"), configFile(mini + "/tokenizer_config.json");
        const auto tokenizer = Json::parse(tokenizerFile), tokenizerConfig = Json::parse(configFile);
        Json model = smallModel(151669);
        model["hidden_size"] = 32;
        model["num_hidden_layers"] = 1;
        model["tie_word_embeddings"] = true;
        writeModelFolder(model, folder.path(), tokenizer, tokenizerConfig);
        auto document = runDocument(folder.path(), output.path(), 6);
        document["data"]["eval_examples"] = 8;
        const auto config = lwb::parseRunConfig(document, "test");
        const auto format = lwb::SequenceFormat::forModel(config.model);
        QCOMPARE(format.promptIds("upper: cat\n"), format.tokenizer().encode("upper: cat\n")); // no BOS
        QCOMPARE(format.eosId(), *format.tokenizer().tokenToId("<|im_end|>"));
        QCOMPARE(format.padId(), *format.tokenizer().tokenToId("<|endoftext|>"));

        lwb::Trainer trainer(config);
        lwb::test::Collect collect;
        trainer.addObserver(&collect);
        QCOMPARE(trainer.run(), lwb::RunOutcome::Finished);
        QCOMPARE(trainer.losses().size(), std::size_t(6));
        // Untrained on 151,669 classes: the loss starts near ln V.
        QVERIFY(std::abs(trainer.losses().front() - std::log(151669.0)) < 1.0);
        QCOMPARE(collect.evals.back().exactMatchByTask.size(), std::size_t(4));
    }

    // The tokenizer cut from the real Llama 2 one (SentencePiece-style BPE:
    // "▁" for spaces, byte fallback; BOS <s> = 1 before every sequence, EOS
    // </s> = 2) on a one-layer model: data, loss and evaluation go through it.
    void aRunOnTheLlama2TokenizerCut()
    {
        QVERIFY2(!qgetenv("LWB_SOURCE_DIR").isEmpty(), "run through ctest: LWB_SOURCE_DIR names the source tree");
        const std::string mini
            = std::string(qgetenv("LWB_SOURCE_DIR").constData()) + "/tests/tokenizer_peer/fixtures/llama2-mini";
        QTemporaryDir folder, output;
        std::ifstream tokenizerFile(mini + "/tokenizer.json"), configFile(mini + "/tokenizer_config.json");
        const auto tokenizer = Json::parse(tokenizerFile), tokenizerConfig = Json::parse(configFile);
        Json model = smallModel(32000);
        model["hidden_size"] = 32;
        model["num_hidden_layers"] = 1;
        writeModelFolder(model, folder.path(), tokenizer, tokenizerConfig);
        auto document = runDocument(folder.path(), output.path(), 6);
        document["data"]["eval_examples"] = 8;
        const auto config = lwb::parseRunConfig(document, "test");
        const auto format = lwb::SequenceFormat::forModel(config.model);
        Ids expectedPrompt{1};
        const Ids text = format.tokenizer().encode("upper: cat\n");
        expectedPrompt.insert(expectedPrompt.end(), text.begin(), text.end());
        QCOMPARE(format.promptIds("upper: cat\n"), expectedPrompt);
        QCOMPARE(format.tokenizer().encodeWithSpecialTokens("upper: cat\n"), expectedPrompt);
        QCOMPARE(format.eosId(), std::int64_t(2));
        // "\n" has no piece of its own in Llama 2: the byte token <0x0A> (id 13).
        QCOMPARE(text.back(), std::int64_t(13));
        QCOMPARE(format.tokenizer().decode(text, lwb::SpecialTokens::Skip), std::string("upper: cat\n"));

        lwb::Trainer trainer(config);
        lwb::test::Collect collect;
        trainer.addObserver(&collect);
        QCOMPARE(trainer.run(), lwb::RunOutcome::Finished);
        QCOMPARE(trainer.losses().size(), std::size_t(6));
        // Untrained on 32,000 classes: the loss starts near ln V.
        QVERIFY(std::abs(trainer.losses().front() - std::log(32000.0)) < 1.0);
        QCOMPARE(collect.evals.back().exactMatchByTask.size(), std::size_t(4));
    }
};

QTEST_APPLESS_MAIN(TestTokenizerRuns)
#include "test_tokenizer_runs.moc"
