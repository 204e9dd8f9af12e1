/**
 * The widget's stylesheet. Every colour, the font, the radius and the sizes come from CSS custom
 * properties, so a host themes it from outside the shadow root:
 * `threadline-chat { --threadline-accent: #0f766e; }`.
 */
export const WIDGET_CSS = `
:host{--a:var(--threadline-accent,#2563eb);--at:var(--threadline-accent-text,#fff);--bg:var(--threadline-background,#fff);--fg:var(--threadline-text,#111827);--mu:var(--threadline-muted,#6b7280);--bu:var(--threadline-bubble,#f1f5f9);--r:var(--threadline-radius,16px);--o:var(--threadline-offset,20px);
position:fixed;right:var(--o);bottom:var(--o);z-index:var(--threadline-z-index,2147483000);font-family:var(--threadline-font,system-ui,-apple-system,"Segoe UI",Roboto,sans-serif);font-size:14px;line-height:1.45;color:var(--fg)}
*{box-sizing:border-box}
[hidden]{display:none!important}
button{font:inherit;cursor:pointer}
:focus-visible{outline:2px solid var(--a);outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.launcher{position:relative;width:56px;height:56px;border:0;border-radius:50%;background:var(--a);color:var(--at);display:grid;place-items:center;box-shadow:0 6px 20px rgb(0 0 0/.2);transition:transform .15s}
.launcher:hover{transform:scale(1.05)}
.unread{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 6px;border-radius:10px;background:#dc2626;color:#fff;font-size:12px;font-weight:600;line-height:20px}
svg{width:24px;height:24px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}
.panel{position:absolute;right:0;bottom:72px;width:min(var(--threadline-width,370px),calc(100vw - 2*var(--o)));height:min(var(--threadline-height,560px),calc(100vh - 110px));display:flex;flex-direction:column;background:var(--bg);border-radius:var(--r);box-shadow:0 12px 48px rgb(0 0 0/.22);overflow:hidden}
header{display:flex;align-items:center;gap:10px;padding:14px 16px;background:var(--a);color:var(--at)}
h2{margin:0;font-size:16px;font-weight:600;flex:1}
.state{font-size:12px;opacity:.85}
.close{border:0;background:transparent;color:inherit;border-radius:8px;padding:4px;display:grid}
.close:focus-visible{outline-color:var(--at)}
.banner{padding:8px 16px;background:#fef3c7;color:#78350f;font-size:13px}
.earlier{margin:8px auto 0;border:0;background:none;color:var(--a);font-size:12.5px;text-decoration:underline}
.log{flex:1;overflow-y:auto;margin:0;padding:16px;list-style:none;display:flex;flex-direction:column;gap:10px}
.msg{max-width:82%;align-self:flex-start;display:flex;flex-direction:column;gap:3px}
.mine{align-self:flex-end;align-items:flex-end}
.bubble{padding:9px 13px;border-radius:var(--r);border-bottom-left-radius:4px;background:var(--bu);white-space:pre-wrap;overflow-wrap:anywhere}
.mine .bubble{background:var(--a);color:var(--at);border-radius:var(--r);border-bottom-right-radius:4px}
.pending .bubble{opacity:.65}
.failed .bubble{outline:1px solid #dc2626}
.bubble a{color:inherit}
.who,.meta{font-size:11.5px;color:var(--mu);display:flex;gap:6px;align-items:center}
.badge{padding:1px 7px;border-radius:999px;border:1px solid currentColor;font-size:10.5px;font-weight:600;text-transform:uppercase;letter-spacing:.03em}
.typing{padding:0 16px 8px;font-size:12px;color:var(--mu);display:flex;align-items:center;gap:6px}
.dots{display:inline-flex;gap:3px}.dots i{width:6px;height:6px;border-radius:50%;background:var(--mu);animation:b 1.2s infinite}.dots i:nth-child(2){animation-delay:.2s}.dots i:nth-child(3){animation-delay:.4s}
@keyframes b{0%,60%,100%{opacity:.3}30%{opacity:1}}
@media (prefers-reduced-motion:reduce){.dots i{animation:none}.launcher{transition:none}}
form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px;border-top:1px solid rgb(0 0 0/.08)}
textarea{flex:1;resize:none;max-height:120px;padding:9px 12px;border:1px solid rgb(0 0 0/.15);border-radius:calc(var(--r) - 4px);font:inherit;color:inherit;background:var(--bg)}
textarea:focus-visible{outline-offset:0;border-color:var(--a)}
.send{width:40px;height:40px;border:0;border-radius:50%;background:var(--a);color:var(--at);display:grid;place-items:center;flex:none}
.send svg{width:18px;height:18px}
`;
