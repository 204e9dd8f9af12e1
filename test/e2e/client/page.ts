/** The page script of the widget tests: what a host page does, with quicker reconnects. */
import { defineChatWidget } from '../../../src/client/widget.js';

defineChatWidget({ client: { backoff: { baseMs: 100, maxMs: 800 } } });
