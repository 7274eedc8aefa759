/** The page (HTML and CSS); its script is `/app.js`, bundled from src/front at build time. Nothing is loaded from the network. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>llmar view</title>
<style>
  :root { --bg: #f7f7f5; --fg: #1d1d1f; --muted: #6b6b70; --line: #d9d9de; --accent: #2563eb; --bad: #b42318; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--fg); }
  header { display: flex; gap: 12px; align-items: center; padding: 8px 14px; border-bottom: 1px solid var(--line); background: #fff; flex-wrap: wrap; }
  header h1 { font-size: 16px; margin: 0 8px 0 0; }
  select { max-width: 420px; }
  main { padding: 10px 14px; display: grid; grid-template-columns: minmax(0, 1fr) 330px; gap: 14px; }
  .panel { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px; }
  .views { display: grid; grid-template-columns: 1fr 1fr; gap: 10px; }
  .view h3, .panel h2 { margin: 0 0 4px; font-size: 13px; }
  .note { color: var(--muted); font-size: 12px; min-height: 1.2em; }
  canvas.player { width: 100%; height: 360px; background: #fbfbfd; border: 1px solid var(--line); border-radius: 4px; cursor: grab; display: block; }
  .controls { display: flex; gap: 10px; align-items: center; margin: 8px 0 4px; }
  .controls input[type=range] { flex: 1; }
  #frame { font-variant-numeric: tabular-nums; min-width: 210px; }
  #timeline { position: relative; height: 10px; background: #eef0f4; border-radius: 3px; margin-top: 4px; }
  #span { position: absolute; top: 0; bottom: 0; background: rgba(37, 99, 235, .35); display: none; }
  #cursor { position: absolute; top: -2px; bottom: -2px; width: 2px; background: var(--fg); }
  #tokens { display: flex; margin-top: 4px; min-height: 30px; }
  .chip { flex: 1 1 0; min-width: 0; margin: 0 1px; border-radius: 4px; padding: 3px 0; text-align: center; font: 11px/1.2 ui-monospace, monospace;
    color: #fff; cursor: default; position: relative; overflow: hidden; border: 2px solid transparent; }
  .chip.paired::after { content: ''; position: absolute; top: 2px; right: 2px; width: 5px; height: 5px; border-radius: 50%; background: #fff; }
  .chip.hl { border-color: var(--fg); }
  .chip.partner { border-color: #f59e0b; }
  #drop { border: 2px dashed var(--line); border-radius: 6px; padding: 6px 10px; color: var(--muted); }
  #drop.over { border-color: var(--accent); color: var(--accent); }
  #error { color: var(--bad); white-space: pre-wrap; font-family: ui-monospace, monospace; font-size: 12px; }
  #error:empty { display: none; }
  ol#ranked { margin: 4px 0; padding-left: 22px; }
  ol#ranked li { display: flex; justify-content: space-between; gap: 8px; }
  ol#ranked li.truth { font-weight: 600; color: #047857; }
  .missing { color: var(--muted); font-style: italic; }
  canvas.plot { width: 100%; height: 170px; display: block; }
  .kv { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; font-size: 13px; }
</style>
</head>
<body>
<header>
  <h1>llmar view</h1>
  <label>sample <select id="sample"></select></label>
  <span id="drop">drop a .skeleton file (or meta.json + index.jsonl + data.f32) here, or <input id="file" type="file" multiple></span>
  <span id="dataset" class="note"></span>
</header>
<div id="error" role="alert"></div>
<main>
  <section class="panel">
    <div class="views">
      <div class="view"><h3>raw</h3><canvas id="raw" class="player"></canvas><div id="rawNote" class="note"></div></div>
      <div class="view"><h3>preprocessed</h3><canvas id="prepared" class="player"></canvas><div id="preparedNote" class="note"></div></div>
    </div>
    <div class="controls">
      <button id="play" type="button">play</button>
      <input id="scrub" type="range" min="0" max="1000" value="0" aria-label="time">
      <span id="frame">frame –</span>
      <button id="resetView" type="button" title="reset orbit and zoom">reset view</button>
    </div>
    <div class="note">drag to orbit, wheel to zoom, space to play / pause, ← → to step; bodies: <span style="color:#2563eb">■</span> 1 <span style="color:#dc2626">■</span> 2 <span style="color:#059669">■</span> 3</div>
    <h2 style="margin-top:10px">action sentence</h2>
    <div id="timeline"><div id="span"></div><div id="cursor"></div></div>
    <div id="tokens"></div>
    <div id="tokenNote" class="note"></div>
  </section>
  <aside>
    <section class="panel" id="recognition">
      <h2>recognition</h2>
      <div id="norun" class="missing"></div>
      <div class="kv"><span>true label</span><span id="truth">–</span><span>generated</span><span id="generated">–</span><span>run top-1</span><span id="runTop1">–</span></div>
      <ol id="ranked"></ol>
    </section>
    <section class="panel" style="margin-top:10px">
      <h2>token usage: rank-frequency vs Zipf</h2>
      <canvas id="rankfreq" class="plot"></canvas>
      <h2 style="margin-top:8px">codebook usage</h2>
      <canvas id="codebook" class="plot"></canvas>
      <div id="usageNote" class="note"></div>
    </section>
  </aside>
</main>
<script src="/app.js"></script>
</body>
</html>
`;
