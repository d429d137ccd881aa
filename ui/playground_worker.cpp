// See playground_worker.h.
#include "ui/playground_worker.h"

#include "engine/adapters/adapter_registry.h"
#include "engine/adapters/sira_token_experts.h"
#include "engine/adapters/variant_traits.h"
#include "engine/config/run_config.h"
#include "engine/core/error.h"
#include "engine/data/sequence_format.h"
#include "engine/dlp/dlp_model.h"
#include "engine/dlp/routed_generation.h"
#include "engine/model/base_model.h"
#include "engine/model/generation.h"
#include "engine/model/token_sampling.h"
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
    lwb::CausalLM model{nullptr};         // a run: its base with its adapter
    std::unique_ptr<lwb::DlpModel> study; // a DLP-LoRA study: its base, fused task LoRAs and plugin
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

// A finished study from its stored config: DlpModel::loadStudy reads every
// task LoRA and the plugin from the study's output folder.
std::shared_ptr<PlaygroundWorker::Loaded> loadStudy(const std::string &folder, const QString &configJson)
{
    auto loaded = std::make_shared<PlaygroundWorker::Loaded>();
    loaded->checkpoint = folder;
    const std::string where = "the stored config of the study in " + folder;
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(configJson.toStdString());
    } catch (const nlohmann::json::parse_error &e) {
        throw lwb::Error(where, std::string("not valid JSON: ") + e.what());
    }
    loaded->config = lwb::parseRunConfig(document, where);
    if (!lwb::isStudyVariant(loaded->config.adapter.variant))
        throw lwb::Error(where, "adapter.variant is \"" + loaded->config.adapter.variant + "\", not a study");
    loaded->study = lwb::DlpModel::loadStudy(loaded->config);
    loaded->study->base().eval();
    loaded->device = loaded->study->device();
    loaded->format.emplace(loaded->study->format());
    QStringList tasks;
    for (const auto &task : loaded->study->library().tasks())
        tasks << QString::fromStdString(task);
    const auto &base = loaded->config.model;
    loaded->description = QStringLiteral("%1 + DLP-LoRA (%2) on %3")
                              .arg(QString::fromStdString(base.path.empty() ? base.preset : base.path),
                                   tasks.join(QStringLiteral(", ")), QString::fromStdString(loaded->device.str()));
    return loaded;
}

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
        throw lwb::Error(path, "is a DLP-LoRA study: ask it with the study's config (PlaygroundQuestion::studyConfig)");
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

// A study's routing for one question: the study's own, with what the
// question changes (rule, P or k, granularity).
lwb::RoutedGenerationOptions routedOptions(const PlaygroundWorker::Loaded &loaded, const PlaygroundQuestion &question,
                                           const lwb::GenerationOptions &decoding, lwb::DlpSelectionConfig &selection)
{
    const auto &dlp = loaded.config.adapter.dlp;
    selection = dlp.selection;
    if (!question.routing.rule.isEmpty())
        selection.rule = question.routing.rule.toStdString();
    if (question.routing.p > 0.0)
        selection.p = question.routing.p;
    if (question.routing.k > 0)
        selection.k = question.routing.k;
    lwb::RoutedGenerationOptions options;
    options.granularity = lwb::granularityFromString(
        question.routing.granularity.isEmpty() ? dlp.granularity : question.routing.granularity.toStdString());
    options.maxNewTokens = decoding.maxNewTokens;
    options.sampling = {decoding.temperature, decoding.topK, decoding.topP, decoding.repetitionPenalty};
    options.eosIds = decoding.eosIds;
    options.stopStrings = decoding.stopStrings;
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
    qRegisterMetaType<lwb::ui::PlaygroundRouted>();
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
    const bool isStudy = !question.studyConfig.isEmpty();
    if (!loaded_ || loaded_->checkpoint != checkpoint || (loaded_->study != nullptr) != isStudy) {
        loaded_.reset();
        loaded_ = isStudy ? loadStudy(checkpoint, question.studyConfig) : loadRun(checkpoint);
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
    QVector<PlaygroundFusedLora> fusion; // DLP-LoRA: the newest routing decision's set
    const auto watch = [&](const lwb::ChosenTokens &chosen) {
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
            token.ruleProbability = chosen.sampler.drawnProbabilities(chosen.logits, chosen.tokens).front();
            token.fusion = fusion;
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
    try {
        bool finished = false;
        std::string stopString;
        if (loaded.study) {
            lwb::DlpSelectionConfig selection;
            auto dlpOptions = routedOptions(loaded, question, options, selection);
            dlpOptions.onChosen
                = [&](const lwb::ChosenTokens &chosen, const std::vector<std::size_t> &) { watch(chosen); };
            dlpOptions.onRouted = [&](std::size_t, const lwb::RoutedSegment &segment) {
                PlaygroundRouted decision;
                decision.start = segment.start;
                const auto &tasks = loaded.study->library().tasks();
                for (std::size_t i = 0; i < segment.selected.size(); ++i)
                    decision.loras.push_back(
                        {QString::fromStdString(tasks.at(static_cast<std::size_t>(segment.selected[i]))),
                         segment.weights.at(i)});
                fusion = decision.loras;
                result.routing.push_back(decision);
                QMetaObject::invokeMethod(
                    this, [this, decision] { Q_EMIT routed(decision); }, Qt::QueuedConnection);
            };
            auto router = loaded.study->router(selection);
            const auto generation = lwb::generateRouted(loaded.study->base(), loaded.study->adapters(), router, format,
                                                        {prompt}, dlpOptions, loaded.device);
            finished = generation.front().finished;
            stopString = generation.front().stopString;
        } else {
            options.onChosen = watch;
            const std::vector<std::vector<std::int64_t>> prompts{format.promptIds(prompt)};
            const auto sequence = lwb::generate(*loaded.model, prompts, loaded.device, options).front();
            finished = sequence.finished;
            stopString = sequence.stopString;
        }
        if (!stopString.empty()) {
            result.ending = QStringLiteral("stop string \"%1\"").arg(QString::fromStdString(stopString));
            text = text.substr(0, text.find(stopString)); // the caller cuts at the stop string
        } else {
            result.ending = finished ? QStringLiteral("end token") : QStringLiteral("max new tokens");
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
