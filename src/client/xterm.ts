/**
 * xterm.js, its fit addon and its CSS, loaded only by import() from the
 * Terminal page: a chunk of their own that the rest of the dashboard never loads.
 */
import '@xterm/xterm/css/xterm.css';

export { Terminal } from '@xterm/xterm';
export { FitAddon } from '@xterm/addon-fit';
