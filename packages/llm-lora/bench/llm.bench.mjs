// Generation benchmark of @llmar/llm-lora: greedy decoding with the KV cache on stories260K (from LLMAR_FIXTURES),
// or on a random model of the same shape when the fixtures are absent.
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { initBackend } from '@llmar/tensor';
import { loadLlama2c, generate, Llama, makeConfig } from '@llmar/llm-lora';

const info = await initBackend();
const fixtures = process.env.LLMAR_FIXTURES;
const file = fixtures ? join(fixtures, 'llama2c', 'stories260K', 'stories260K.bin') : '';
const real = file !== '' && existsSync(file);
const model = real
  ? loadLlama2c(file)
  : Llama.random(makeConfig({ dim: 64, hiddenDim: 172, nLayers: 5, nHeads: 8, nKvHeads: 4, vocabSize: 512, maxSeqLen: 512, ropeStyle: 'adjacent', tiedEmbeddings: true }), 1);

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const tokens = 128;
generate(model, [1], { maxNewTokens: 16 }); // warm-up
const times = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  const out = generate(model, [1], { maxNewTokens: tokens });
  times.push((performance.now() - t0) / out.length);
}
const ms = median(times);
console.log(
  JSON.stringify({
    name: 'generate-stories260K',
    backend: info.label,
    ms_per_step: Number(ms.toFixed(3)),
    tokens_per_s: Number((1000 / ms).toFixed(1)),
    new_tokens: tokens,
    weights: real ? 'stories260K' : 'random (LLMAR_FIXTURES unset)',
  }),
);
model.dispose();
