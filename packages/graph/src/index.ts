/**
 * @bonsai/graph — Torch-Pruning-style dependency graph: coupled channel groups (through residual
 * adds, concat/split, flatten, depthwise and grouped convs, BN/LN) and physical channel removal.
 */
export { DependencyGraph, type GroupsOptions, type Member, type NodeSlice } from './dependency';
export { Group, RemovalBudget, type GroupLimits } from './group';
export { mapChannels, inAxisIndex, OUT, type Port, type CouplingSink } from './index-mapping';
export { modelStats, type ModelStats } from './stats';
export { InternalGroup, internalGroups, type InternalGroupsOptions, type InternalMember } from './internal-groups';
