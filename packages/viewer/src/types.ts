import type { SkeletonSample } from '@llmar/skeleton-datasets';

/** The action sentence of one sample as a recognizer produces it. */
export interface ViewerSentence {
  /** Token (codebook) indices, one per latent step. */
  tokens: number[];
  /** How many model-input frames one token covers (the VQ-VAE's temporal downsampling, 4 in the paper). */
  framesPerToken: number;
  /**
   * For each token position, the position of its paired token (context-loss pairing) in the same sentence, or
   * undefined when its partner does not occur. Omit when the tokenizer has no pairing.
   */
  pairedWith?: (number | undefined)[];
}

/** One ranked class. */
export interface RankedClass {
  name: string;
  score: number;
}

/** What a recognizer says about one sample. */
export interface ViewerRecognition {
  /** Every candidate class, best first. */
  ranked: RankedClass[];
  /** Greedy generation text, when the run can generate. */
  generated?: string;
}

/** A run's token usage, for the rank-frequency and codebook plots. */
export interface TokenUsage {
  /** Usage counts (or frequencies) sorted in descending order. */
  rankFrequency: number[];
  /** Zipf target probabilities by rank (same length as rankFrequency). */
  zipfTarget: number[];
  /** Usage count of each codebook index 0..U-1. */
  codebookCounts: number[];
}

/**
 * What `llmar view --run <dir>` passes in: a trained run seen through a small interface, so that this package does not
 * depend on @llmar/llmar (which sits above it). Methods may be synchronous or return promises.
 */
export interface ViewerRecognizer {
  classNames: string[];
  tokenize(sample: SkeletonSample): ViewerSentence | Promise<ViewerSentence>;
  recognize(sample: SkeletonSample): ViewerRecognition | Promise<ViewerRecognition>;
  /** The run's token usage for the plots. */
  usage?: TokenUsage;
  /** Frames the model reads (V); the preprocessed view is resized to this. @default 64 */
  inputFrames?: number;
  codebookSize?: number;
}

/** One row of the sample list. */
export interface SampleSummary {
  key: string;
  id: string;
  label: number;
  labelName?: string;
  frames: number;
  bodies: number;
  joints: number;
}

/** A sequence as the page draws it: [frames, bodies, joints, 3] numbers (2-D data gets z = 0). */
export interface SequenceView {
  frames: number;
  bodies: number;
  joints: number;
  /** Which world axis points up: raw Kinect data has y up, view-aligned data z up. */
  up: 'y' | 'z';
  /** Row-major [frames, bodies, joints, 3], rounded to 0.1 mm. */
  data: number[];
  /** What was done to it. */
  note: string;
}

/** GET /api/sample answer. */
export interface SampleView extends SampleSummary {
  /** 0-based bone pairs (a, b) of the joint topology; empty when the topology is unknown (joints drawn as dots). */
  bones: [number, number][];
  topology: string;
  raw: SequenceView;
  /** The preprocessed sequence, or null with `preparedError` when preprocessing failed. */
  prepared: SequenceView | null;
  preparedError?: string;
}

/** GET /api/info answer. */
export interface ViewerInfo {
  dataset: string;
  dataDir: string | null;
  samples: number;
  classNames: string[];
  /** Files the scan skipped, with why (first 20). */
  skipped: { file: string; reason: string }[];
  recognizer: { available: boolean; reason?: string; classNames: string[]; codebookSize?: number; hasUsage: boolean };
  runDir: string | null;
  /** The run's metrics.json top-1, when the run directory has one. */
  runTop1?: number;
}

/** GET /api/tokens answer. */
export type TokensAnswer =
  | { available: false; reason: string }
  | { available: true; tokens: number[]; framesPerToken: number; pairedWith: (number | null)[]; codebookSize?: number };

/** GET /api/recognize answer. */
export type RecognizeAnswer =
  | { available: false; reason: string }
  | { available: true; ranked: RankedClass[]; generated?: string; trueLabel?: string };

/** Error body of every failed API call. */
export interface ApiError {
  error: { code: string; message: string };
}

/** GET /api/usage answer; `source` says where the numbers come from. */
export type UsageAnswer =
  | { available: false; reason: string }
  | { available: true; usage: TokenUsage; source: string };
