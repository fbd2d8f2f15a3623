export * from './errors';
export * from './accelerator';
export * from './mig-layout';
export * from './mig-parted-config';
export * from './time-slicing';
export * from './memory-planner';
