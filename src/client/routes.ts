import type { RouteDefinition } from '@solidjs/router';
import { lazy } from 'solid-js';
import { Login } from './pages/Login.js';
import { Services } from './pages/Services.js';
import { Shell } from './pages/Shell.js';

// The overview is what most visits open, so it ships in the main chunk;
// every other page is its own chunk, loaded on first visit.
const NewService = lazy(() => import('./pages/NewService.js').then((m) => ({ default: m.NewService })));
const Adopt = lazy(() => import('./pages/Adopt.js').then((m) => ({ default: m.Adopt })));
const Service = lazy(() => import('./pages/Service.js').then((m) => ({ default: m.Service })));
const ServiceOverview = lazy(() => import('./pages/ServiceOverview.js').then((m) => ({ default: m.ServiceOverview })));
const Definition = lazy(() => import('./pages/Definition.js').then((m) => ({ default: m.Definition })));
const Files = lazy(() => import('./pages/Files.js').then((m) => ({ default: m.Files })));
const Environment = lazy(() => import('./pages/Environment.js').then((m) => ({ default: m.Environment })));
const Deployments = lazy(() => import('./pages/Deployments.js').then((m) => ({ default: m.Deployments })));
const ServiceSchedules = lazy(() => import('./pages/ServiceSchedules.js').then((m) => ({ default: m.ServiceSchedules })));
const Stats = lazy(() => import('./pages/Stats.js').then((m) => ({ default: m.Stats })));
const Terminal = lazy(() => import('./pages/Terminal.js').then((m) => ({ default: m.Terminal })));
const Logs = lazy(() => import('./pages/Logs.js').then((m) => ({ default: m.Logs })));
const Images = lazy(() => import('./pages/Images.js').then((m) => ({ default: m.Images })));
const Volumes = lazy(() => import('./pages/Volumes.js').then((m) => ({ default: m.Volumes })));
const Engines = lazy(() => import('./pages/Engines.js').then((m) => ({ default: m.Engines })));
const Templates = lazy(() => import('./pages/Templates.js').then((m) => ({ default: m.Templates })));
const Schedules = lazy(() => import('./pages/Schedules.js').then((m) => ({ default: m.Schedules })));
const Settings = lazy(() => import('./pages/Settings.js').then((m) => ({ default: m.Settings })));
const SettingsIndex = lazy(() => import('./pages/Settings.js').then((m) => ({ default: m.SettingsIndex })));
const SettingsTokens = lazy(() => import('./pages/SettingsTokens.js').then((m) => ({ default: m.SettingsTokens })));
const SettingsNotifications = lazy(() => import('./pages/SettingsNotifications.js').then((m) => ({ default: m.SettingsNotifications })));
const ServiceWebhooks = lazy(() => import('./pages/ServiceWebhooks.js').then((m) => ({ default: m.ServiceWebhooks })));
const Audit = lazy(() => import('./pages/Audit.js').then((m) => ({ default: m.Audit })));
const NotFound = lazy(() => import('./pages/NotFound.js').then((m) => ({ default: m.NotFound })));

export const routes: RouteDefinition[] = [
  { path: '/login', component: Login },
  {
    path: '/',
    component: Shell,
    children: [
      { path: '/', component: Services },
      { path: '/services/new', component: NewService },
      { path: '/services/adopt', component: Adopt },
      {
        path: '/services/:id',
        component: Service,
        children: [
          { path: '/', component: ServiceOverview },
          { path: '/logs', component: Logs },
          { path: '/stats', component: Stats },
          { path: '/terminal', component: Terminal },
          { path: '/definition', component: Definition },
          { path: '/environment', component: Environment },
          { path: '/files', component: Files },
          { path: '/deployments', component: Deployments },
          { path: '/schedules', component: ServiceSchedules },
          { path: '/webhooks', component: ServiceWebhooks },
        ],
      },
      { path: '/templates/:id?', component: Templates },
      { path: '/images', component: Images },
      { path: '/volumes', component: Volumes },
      { path: '/engines', component: Engines },
      { path: '/schedules', component: Schedules },
      { path: '/audit', component: Audit },
      {
        path: '/settings',
        component: Settings,
        children: [
          { path: '/', component: SettingsIndex },
          { path: '/tokens', component: SettingsTokens },
          { path: '/notifications', component: SettingsNotifications },
        ],
      },
      { path: '*rest', component: NotFound },
    ],
  },
];
