/** Placeholder: being written (issue 15). */
export function Terminal() {
  return <p>Terminal</p>;
}
