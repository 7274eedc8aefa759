// Stage-2 training benchmark of @llmar/llm-lora: a random LLaMA-architecture model (tied embeddings, llama2.c RoPE),
// frozen, with LoRA on the query and value projections; one AdamW step (loss on all positions) per iteration.
// Same models as the PyTorch peer ../../shared/bench/stage2_torch.py (35 ms and 351 ms per step on this machine).
// Usage: node packages/llm-lora/bench/lora.bench.mjs [config-name ...]   (after `npx tsup` in tensor and llm-lora)
import { initBackend } from '@llmar/tensor';
import { trainLmStep } from '@llmar/llm-lora';
import { median } from '../../../scripts/bench-utils.mjs';
import { STAGE2_CONFIGS, makeStage2 } from './stage2-setup.mjs';

const PYTORCH_MS = { 'stage2-stories260K-lora': 35, 'stage2-15M-lora': 351 };

const info = await initBackend();

// warm-up steps, then timed steps (the median is printed): the PyTorch peer's protocol (3 and 8). The first steps of a
// run touch fresh wasm heap pages (the heap grows to its working size), which costs far more than a steady step, and V8
// compiles the hot code for ~20 steps: LLMAR_BENCH_WARMUP=n runs n warm-up steps instead of 3.
const WARM = process.env.LLMAR_BENCH_WARMUP ? Number(process.env.LLMAR_BENCH_WARMUP) : 3;
const STEPS = { 'stage2-stories260K-lora': [WARM, 8], 'stage2-15M-lora': [WARM, 8] };

/** Times `steps` training steps of config `name` after `warm` untimed ones and prints one JSON line. */
function run(name, [warm, steps] = STEPS[name]) {
  const { model, lora, opt, batch, B, T, dispose } = makeStage2(name);
  const times = [];
  const cpu = [];
  let last;
  for (let i = 0; i < warm + steps; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    last = trainLmStep(model, opt, [batch]);
    const c = process.cpuUsage(c0);
    if (i >= warm) {
      times.push(performance.now() - t0);
      cpu.push((c.user + c.system) / 1000);
    }
  }
  const ms = median(times);
  console.log(JSON.stringify({
    name,
    backend: info.label,
    ms_per_step: Number(ms.toFixed(2)),
    tokens_per_s: Number(((B * T * 1000) / ms).toFixed(1)),
    cpu_ms_per_step: Number(median(cpu).toFixed(2)), // process CPU time: less sensitive to a loaded machine than wall time
    loss: Number(last.loss.toFixed(4)),
    trainable_params: lora.parameterCount(),
    pytorch_ms_per_step: PYTORCH_MS[name],
    warmup: warm,
  }));
  dispose();
}

const wanted = process.argv.slice(2);
for (const name of Object.keys(STAGE2_CONFIGS)) if (wanted.length === 0 || wanted.includes(name)) run(name);
