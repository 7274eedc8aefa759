/**
 * @llmar/llmar: LLM-AR end to end — the action VQ-VAE with a hyperbolic codebook (stage 1), the instruction-tuned
 * LLaMA with LoRA (stage 2), recognition, evaluation, ablations, reports and the `llmar` CLI.
 */
export { LlmarError, type LlmarErrorCode } from './errors';
export * from './config';
export { ActionConvNet, upsample2, smoothL1, type ConvNetOptions } from './vqvae';
export { makeQuantizer, type QuantizerChoice, type QuantizerHandle } from './quantizer';
export { ActionTokenizer, type ActionTokenizerOptions, type Stage1LossOptions, type Stage1Terms } from './tokenizer';
export { prepareSequences, subset, gatherBatch, augmentSet, augments, type SequenceSet, type PrepareOptions, type AugmentOptions } from './data';
export { loadSamples, loadSplitData, type SplitData } from './dataset';
export { writeCheckpoint, readCheckpoint, hasCheckpoint, type Checkpoint, type NamedArray } from './checkpoint';
export { trainStage1, tokenizeSet, stage1Fingerprint, type Stage1Options, type Stage1Result, type Stage1Row } from './stage1';
export { trainStage2, adaptModel, type Stage2Options, type Stage2Result, type Stage2Row, type Adaptation } from './stage2';
export { INSTRUCTION, instructionText, buildPrompt, answerIds, type PromptLayout } from './prompt';
export { WordTokenizer, splitWords, type TextTokenizer } from './wordTokenizer';
export { loadLanguageModel, wordEmbeddings, instructionTexts, type LanguageModel } from './llm';
export { SequenceBuilder, targetLogProbs, maskedCrossEntropy, type ActionInputs, type SequenceBatch, type SequenceBuilderOptions } from './sequences';
export { answerKey, scoreCandidates, metricsFromScores, rank, generateAnswer, generationAccuracy, type Metrics } from './evaluate';
export { tokenHealth, zipfTarget, js64, type TokenHealth } from './health';
export { trainAndEvaluate, trainOnSplit, actionInputs, makeTokenizer, readManifest, StoppedForTest, Stage1Done, type RunResult, type RunManifest, type TrainOptions } from './pipeline';
export { Recognizer, type Recognition, type ActionSentence, type SequenceInput } from './recognizer';
export { evaluateRun } from './evaluateRun';
export { exportRun } from './export';
export { readSequenceFile } from './files';
export { runReproduce, experimentRows, EXPERIMENTS, PAPER_MAIN, type ExperimentName, type ExperimentRow } from './reproduce';
export { resultTable, markdownSummary, writeReport } from './report';
export { lineChart, confusionChart, type Series, type LineChartOptions } from './svg';
export { consoleReporter, silentReporter, formatDuration, type Reporter, type ConsoleReporterOptions } from './progress';
export { buildProgram, main, configFromOptions } from './program';
