export { LlmError, type LlmErrorCode } from './errors';
export { type LlamaConfig, headSize, makeConfig, validateConfig, weightShapes, paramCount } from './config';
export {
  Llama,
  type LinearAdapter,
  type LlamaOptions,
  type ModelInput,
  type HiddenOptions,
  mixEmbeddings,
  createCache,
  KvCache,
  permuteForRotateHalf,
  unpermuteFromRotateHalf,
} from './model';
export { type LayerKv } from './cache';
export { ropeTables, applyRope } from './rope';
export { assertFitsBackend, modelBytes, type FitOptions } from './memory';
export { loadLlama2c, parseLlama2cHeader, type Llama2cHeader } from './llama2c';
export * from './tokenizer';
export { generate, generateBatch, sampleToken, type GenerateOptions, type EmbedsBatchPrompt } from './generate';
export * from './safetensors';
export * from './hf';
export * from './optim';
export * from './lora';
export * from './train';
export * from './score';
export * from './adapters';
