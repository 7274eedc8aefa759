export { VqError, type VqErrorCode } from './errors';
export { type QuantizerOptions, type ResolvedQuantizerOptions } from './options';
export { BaseQuantizer, type QuantizeResult, type UpdateResult } from './base';
export { VectorQuantizer } from './euclidean';
export { HyperbolicVectorQuantizer, type HyperbolicQuantizerOptions } from './hyperbolic';
export { gumbelUsage, gumbelNoise, type GumbelUsageOptions } from './gumbel';
export { straightThrough } from './straight-through';
export { kMeans, nearestSquared, type KMeansOptions, type KMeansResult } from './kmeans';
export { type QuantizerState } from './state';
