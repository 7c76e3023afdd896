import { Route, Router } from '@solidjs/router';
import { render } from 'solid-js/web';
import { routes } from './routes.js';
import './styles.css';

render(
  () => (
    <Router>
      {routes.map((r) => (
        <Route path={r.path} component={r.component} />
      ))}
    </Router>
  ),
  document.getElementById('root')!,
);
