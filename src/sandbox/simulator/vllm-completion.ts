// The answer of a model server behind a Gateway: a completion (or the model list) as vLLM's
// OpenAI-compatible server returns it.
import { randomBytes } from 'node:crypto';

/** A completion as vLLM's OpenAI-compatible server returns it. */
export function completion(body: unknown, path: string): unknown {
  const req = (body && typeof body === 'object' ? body : {}) as { model?: string; prompt?: string; max_tokens?: number };
  const model = req.model ?? 'meta-llama/Llama-3.1-8B-Instruct';
  if (path === '/v1/models') return { object: 'list', data: [{ id: model, object: 'model', owned_by: 'vllm' }] };
  const text = ' The food was fresh and the service quick.';
  const promptTokens = Math.max(1, String(req.prompt ?? '').split(/\s+/).filter(Boolean).length);
  const completionTokens = Math.min(req.max_tokens ?? 16, 10);
  return {
    id: `cmpl-${randomBytes(16).toString('hex')}`,
    object: 'text_completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, text, logprobs: null, finish_reason: 'length', stop_reason: null }],
    usage: { prompt_tokens: promptTokens, total_tokens: promptTokens + completionTokens, completion_tokens: completionTokens },
  };
}
