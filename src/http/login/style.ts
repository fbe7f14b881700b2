/**
 * The hosted sign-in page's stylesheet, inline under the response's CSP nonce. Colours follow
 * `prefers-color-scheme`; the QR code keeps a white quiet zone in both schemes so a camera
 * reads it.
 */
export const STYLE = `
:root { color-scheme: light dark; --bg: #f4f5f7; --card: #fff; --text: #1b1d21; --muted: #5b616e;
  --accent: #0b5cd5; --accent-text: #fff; --border: #c9ced6; --error-bg: #fdecec; --error: #a4161a;
  --ok-bg: #e8f3ec; --ok: #1e6b3a; --code-bg: #eef0f3; }
@media (prefers-color-scheme: dark) { :root { --bg: #15171b; --card: #1f2228; --text: #eceef2;
  --muted: #a7adb8; --accent: #6ea8ff; --accent-text: #0b1020; --border: #3b404a; --error-bg: #3a1d1f;
  --error: #ffb3b5; --ok-bg: #183023; --ok: #9be0b4; --code-bg: #2a2e36; } }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg);
  color: var(--text); font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { width: min(34rem, calc(100vw - 2rem)); background: var(--card); border: 1px solid var(--border);
  border-radius: 12px; padding: 2rem; box-shadow: 0 1px 3px rgb(0 0 0 / 0.08); margin: 1rem 0; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h1:focus, h2:focus { outline: none; }
h2 { font-size: 1.1rem; margin: 1.25rem 0 0.5rem; }
#step h2 { margin-top: 0; }
p { margin: 0.5rem 0; }
label { display: block; font-weight: 600; margin: 1rem 0 0.25rem; }
input { width: 100%; padding: 0.6rem 0.75rem; font: inherit; color: inherit; background: transparent;
  border: 1px solid var(--border); border-radius: 8px; }
input[aria-invalid="true"] { border-color: var(--error); }
input.code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 1.25rem;
  letter-spacing: 0.2em; max-width: 12rem; }
fieldset { border: 0; margin: 1rem 0 0; padding: 0; }
legend { font-weight: 600; padding: 0; margin-bottom: 0.25rem; }
.choice { display: flex; align-items: center; gap: 0.6rem; margin: 0.4rem 0; }
.choice input { width: auto; margin: 0; accent-color: var(--accent); }
.choice label { margin: 0; font-weight: 400; }
button { font: inherit; font-weight: 600; padding: 0.6rem 1rem; border-radius: 8px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-text); }
button.secondary { background: transparent; color: var(--accent); }
button.link { background: none; border: 0; padding: 0; color: var(--accent); font-weight: 400;
  text-decoration: underline; text-underline-offset: 2px; }
button:disabled { opacity: 0.6; cursor: progress; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
form button { width: 100%; margin-top: 1.5rem; }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-top: 1.25rem; }
.actions button { padding: 0.5rem 0.8rem; }
.alert { margin: 0 0 1rem; padding: 0.75rem 1rem; border-radius: 8px; background: var(--error-bg);
  color: var(--error); font-weight: 600; }
.alert:empty, .status:empty { display: none; }
.status { margin: 0 0 1rem; padding: 0.5rem 0.75rem; border-radius: 8px; background: var(--ok-bg);
  color: var(--ok); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1rem; margin: 0; }
dt { color: var(--muted); }
dd { margin: 0; overflow-wrap: anywhere; }
a { color: var(--accent); }
.hint { color: var(--muted); font-size: 0.9rem; margin: 1rem 0 0; }
.steps { margin: 0.5rem 0 0; padding-left: 1.25rem; }
.steps li { margin: 0.25rem 0; }
.setup { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem 1.5rem; margin: 1rem 0 0; }
.qr { flex: none; background: #fff; padding: 0.75rem; border-radius: 8px; border: 1px solid var(--border);
  line-height: 0; }
.qr svg { width: 11rem; height: 11rem; display: block; }
.key { flex: 1 1 12rem; min-width: 0; }
.key p { margin: 0 0 0.35rem; }
.secret { display: block; font: 600 1.05rem/1.6 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  letter-spacing: 0.05em; word-spacing: 0.3em; background: var(--code-bg); border-radius: 6px;
  padding: 0.4rem 0.6rem; overflow-wrap: anywhere; user-select: all; -webkit-user-select: all; }
[hidden] { display: none !important; }
`;
