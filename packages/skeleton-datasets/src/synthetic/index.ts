/** Synthetic NTU-topology actions: the default data of the out-of-the-box demo. */
export { NTU_JOINT_NAMES, type BodyShape } from './body';
export { SYNTHETIC_ACTIONS, SYNTHETIC_CLASS_NAMES, type ActionContext, type SyntheticAction } from './actions';
export {
  generateSyntheticDataset,
  generateSyntheticSample,
  syntheticProtocol,
  type SyntheticOptions,
  type SyntheticProtocolKind,
  type SyntheticSampleSpec,
} from './generate';
export { writeSyntheticDataset, type SyntheticWriteOptions } from './write';
