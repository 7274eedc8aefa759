export { PoincareBall, safeNorm, broadcastShape, type PoincareBallOptions } from './ball';
export { HyperbolicError, type HyperbolicErrorCode } from './errors';
export { MIN_NORM, TANH_CLAMP, ARTANH_EPS32, ARTANH_EPS64, BOUNDARY_EPS32, BOUNDARY_EPS64 } from './constants';
export { PoincareBall64, type PoincareBall64Options, type Vec, type Mat } from './reference';
export { RiemannianAdam, type RiemannianAdamOptions } from './optim';
