/** The capstan mark (an anchor-like winch): decorative, the name next to it says what it is. */
export function Logo(props: { size?: number }) {
  return (
    <svg viewBox="0 0 24 24" width={props.size ?? 22} height={props.size ?? 22} aria-hidden="true" class="logo">
      <path fill="currentColor" d="M12 2a3 3 0 0 1 1 5.83V10h4v2h-4v7.93A8 8 0 0 0 19.93 13H22a10 10 0 0 1-20 0h2.07A8 8 0 0 0 11 19.93V12H7v-2h4V7.83A3 3 0 0 1 12 2Zm0 2a1 1 0 1 0 0 2 1 1 0 0 0 0-2Z" />
    </svg>
  );
}
