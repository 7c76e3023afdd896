/** Placeholder: being written (issue 15). */
export function Stats() {
  return <p>Stats</p>;
}
