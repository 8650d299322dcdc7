/** Names sorted by code point (Python's `sorted`, so class indices match torchvision and Keras). */
export function sortNames(names: readonly string[]): string[] {
  return [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
