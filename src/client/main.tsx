import { Router } from '@solidjs/router';
import { render } from 'solid-js/web';
import { routes } from './routes.js';
import './styles.css';
import './pages.css';
import './compose.css';

render(() => <Router>{routes}</Router>, document.getElementById('root')!);
