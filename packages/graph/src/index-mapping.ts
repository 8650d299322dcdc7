import type { ChannelRule } from '@bonsai/core';

/** A port of a node: one of its inputs (slot 0, 1, ...) or its output ({@link OUT}). */
export type Port = number;

/** The output port of a node. */
export const OUT: Port = -1;

/** Receives the channel couplings of one node. */
export interface CouplingSink {
  /** Channel `ca` at port `a` and channel `cb` at port `b` must be removed together. */
  link(a: Port, ca: number, b: Port, cb: number): void;
  /** No channel at port `p` may be removed (reason names the rule). */
  lock(p: Port, reason: string): void;
}

/**
 * Emits how the channels (last axis) at a node's inputs and output are coupled, from the op's
 * {@link ChannelRule}. This is the whole index mapping of the dependency graph:
 * - identity (BN, activations, add, pooling): input i channel c <-> output channel c.
 * - concat: input i channel c <-> output channel offsets[i] + c.
 * - slice (one piece of a split): output channel c <-> input channel start + c.
 * - flatten: input channel c <-> output features p * channels + c for every position p (NHWC).
 * - depthwise: input channel c <-> output channels c * multiplier + j, j < multiplier.
 * - grouped conv: every group must keep the same number of channels, so local channel l of every
 *   group is removed together: input l <-> l + k * (C / groups), output l <-> l + k * (F / groups).
 * - reduce (conv, dense): input and output channels are independent (the input side is consumed
 *   along the params' `inAxis`).
 * - barrier (reshape, softmax): no correspondence; nothing on either side may be pruned.
 */
export function mapChannels(rule: ChannelRule, inWidths: readonly number[], outWidth: number, sink: CouplingSink): void {
  switch (rule.kind) {
    case 'identity':
      inWidths.forEach((w, slot) => {
        for (let c = 0; c < Math.min(w, outWidth); c++) sink.link(slot, c, OUT, c);
      });
      return;
    case 'concat':
      inWidths.forEach((w, slot) => {
        const offset = rule.offsets[slot] ?? 0;
        for (let c = 0; c < w; c++) sink.link(slot, c, OUT, offset + c);
      });
      return;
    case 'slice':
      for (let c = 0; c < rule.size; c++) sink.link(0, rule.start + c, OUT, c);
      return;
    case 'flatten':
      for (let p = 0; p < rule.spatial; p++) {
        for (let c = 0; c < rule.channels; c++) sink.link(0, c, OUT, p * rule.channels + c);
      }
      return;
    case 'depthwise':
      for (let c = 0; c < (inWidths[0] ?? 0); c++) {
        for (let j = 0; j < rule.multiplier; j++) sink.link(0, c, OUT, c * rule.multiplier + j);
      }
      return;
    case 'grouped':
      coupleAcrossGroups(0, inWidths[0] ?? 0, rule.groups, sink);
      coupleAcrossGroups(OUT, outWidth, rule.groups, sink);
      return;
    case 'reduce':
      return;
    case 'barrier':
      inWidths.forEach((_, slot) => sink.lock(slot, 'its channels cross a barrier op (no channel correspondence)'));
      sink.lock(OUT, 'it is the output of a barrier op (no channel correspondence)');
      return;
  }
}

function coupleAcrossGroups(port: Port, width: number, groups: number, sink: CouplingSink): void {
  const per = width / groups;
  for (let k = 1; k < groups; k++) {
    for (let l = 0; l < per; l++) sink.link(port, l, port, l + k * per);
  }
}

/**
 * Position along a consumer param's `inAxis` that input channel position `pos` maps to, given the
 * consumer's channel rule and the current input width: the position itself for reduce/depthwise,
 * the channel's local index within its group for a grouped conv.
 */
export function inAxisIndex(rule: ChannelRule, pos: number, inWidth: number): number {
  return rule.kind === 'grouped' ? pos % (inWidth / rule.groups) : pos;
}
