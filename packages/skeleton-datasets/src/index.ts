/**
 * @llmar/skeleton-datasets: skeleton action datasets as plain typed arrays (no tfjs).
 * Readers (NTU RGB+D 60/120 `.skeleton`, CTR-GCN `.npz`, `.npy`, UAV-Human, Toyota Smarthome, a generic format),
 * a binary cache, packed datasets, seeded batches; protocols, transforms and a synthetic generator.
 */
export * from './types';
export * from './errors';
export * from './readers/names';
export * from './readers/ntu-classes';
export * from './readers/ntu';
export * from './readers/ntu-writer';
export * from './readers/npy';
export * from './readers/npz';
export * from './readers/npz-file';
export * from './readers/uav';
export * from './readers/toyota';
export * from './pack';
export * from './batch';
export * from './generic';
export * from './cache';
export * from './scan';
export * from './synthetic/index';
export * from './transforms/index';
export * from './protocols';
export * from './rng';
