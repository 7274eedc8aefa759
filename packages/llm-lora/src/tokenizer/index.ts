export { type Tokenizer, type EncodeOptions, PieceTokenizer } from './base';
export { Llama2cTokenizer, loadLlama2cTokenizer } from './llama2c';
export { HfBpeTokenizer, loadHfTokenizer, type HfTokenizerOptions } from './hf-json';
