import type { Component } from 'solid-js';
import { Login } from './pages/Login.js';
import { Shell } from './pages/Shell.js';

export const routes: { path: string; component: Component }[] = [
  { path: '/login', component: Login },
  { path: '/*rest', component: Shell },
];
