/** Identifier of a node in a {@link Graph}. */
export type NodeId = string;

/** A per-sample shape: the batch dimension is never included. Layout is NHWC. */
export type Shape = readonly number[];

/** JSON-serializable attribute value. */
export type AttrValue = number | string | boolean | null | readonly number[] | readonly string[];

/** An op's attributes (JSON-serializable). */
export type Attrs = Readonly<Record<string, AttrValue>>;

/** A graph node: one op applied to the outputs of `inputs`. Its parameters live in the Model. */
export interface Node {
  readonly id: NodeId;
  readonly op: string;
  readonly inputs: readonly NodeId[];
  readonly attrs: Attrs;
}

/** Number of elements of a shape. */
export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Full name of a node's parameter: `${nodeId}/${role}` (e.g. `conv1/kernel`). */
export function paramName(nodeId: NodeId, role: string): string {
  return `${nodeId}/${role}`;
}
