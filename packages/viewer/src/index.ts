/**
 * @llmar/viewer: `llmar view`, a local web page to look at skeleton sequences (3-D player, raw and preprocessed),
 * their action sentences (token chips aligned with the frames) and what a trained run recognises.
 */
export { ViewerError, httpStatusOf, type ViewerErrorCode } from './errors';
export type {
  ViewerRecognizer, ViewerSentence, ViewerRecognition, RankedClass, TokenUsage, SampleSummary, SequenceView, SampleView,
  ViewerInfo, TokensAnswer, RecognizeAnswer, UsageAnswer, ApiError,
} from './types';
export {
  loadDataset, parseFiles, sampleView, toSequenceView, bonesFor, summarize, DATASET_READERS, MAX_UPLOAD_BYTES, PREPARED_FRAMES,
  type DatasetReader, type LoadedDataset, type LoadDatasetOptions, type InputFile,
} from './data';
export { resolveInside } from './paths';
export { ViewerApi, type ViewerApiOptions } from './api';
export { startViewer, decodeUpload, type ViewerOptions, type RunningViewer } from './server';
export { loadFrontEnd, bundleFrontEnd } from './frontEnd';
export { registerViewCommand, runView, viewerOptionsFrom, type ViewCommandOptions } from './cli';
export { PAGE_HTML } from './page';
export { adaptLlmarRecognizer, pairedPositions, zipfTarget, type LlmarRecognizerLike, type AdaptOptions } from './adapter';
