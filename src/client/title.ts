import { createEffect } from 'solid-js';

/** The tab's title names the page (and a screen reader reads it after each navigation). */
export function usePageTitle(title: () => string): void {
  createEffect(() => {
    const t = title();
    document.title = t ? `${t} · Capstan` : 'Capstan';
  });
}
