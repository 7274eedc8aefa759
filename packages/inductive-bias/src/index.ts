export { InductiveBiasError, type InductiveBiasErrorCode } from './errors';
export { zipfDistribution, klDivergence, jsDivergence, type ZipfOptions, type DivergenceOptions } from './divergence';
export { zipfLoss, normalizedUsage, sortDescending, type ZipfLossOptions } from './zipf';
export { pairedTokenPermutation, contextLoss, checkPairing, type ContextLossOptions } from './context';
export { mmd, pairwiseSquaredDistances, type MmdOptions, type MmdEstimator } from './mmd';
export { biasLoss, type BiasLossInputs, type BiasLossOptions, type BiasLossResult, type TermSwitch } from './bias';
