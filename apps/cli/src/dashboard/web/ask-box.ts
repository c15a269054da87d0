/**
 * A stream card's ask box: a question about the stream's latest messages, asked as `turbostream ask` asks it
 * (`POST /api/ask`, the provider and model optional: the stream's own by default), whose answer shows as the model
 * writes it, token by token, as text; then the time to first token, the total time, the tokens and the cost. A
 * question that cannot be asked (AskError) or a call that fails says why, as text.
 */
import { ASK_QUESTION_MAX, CHANGE_HEADER, type DashboardAskEvents, type DashboardAskRequest } from '../api.js';
import { compactCount } from '../../report/figures.js';
import { h } from './dom.js';
import { askCost, duration, SseReader } from './format.js';
import { readReply } from './post.js';

/** The ask box of stream `streamId`; its fieldset is a `change` (disabled without the token, see StreamsView). */
export function askBox(streamId: string): HTMLElement {
  const question = h('textarea', {
    attrs: {
      name: 'question',
      rows: '2',
      maxlength: String(ASK_QUESTION_MAX),
      placeholder: `Ask about ${streamId}'s latest messages…`,
    },
  });
  const provider = h('input', { attrs: { name: 'provider', placeholder: "provider (default: the stream's)" } });
  const model = h('input', { attrs: { name: 'model', placeholder: 'model' } });
  const submit = h('button', { attrs: { type: 'submit' } }, 'Ask');
  const fieldset = h(
    'fieldset',
    { className: 'change' },
    h('legend', {}, 'Ask this stream'),
    question,
    h('label', {}, 'provider ', provider),
    h('label', {}, 'model ', model),
    submit,
  );
  const disabled = h('p', { className: 'change-disabled', data: { what: 'Asking' } });
  const status = h('p', { className: 'ask-status', attrs: { role: 'status' } });
  const answer = h('div', { className: 'answer', attrs: { 'aria-live': 'polite' } });
  const figures = h('p', { className: 'ask-figures' });
  const form = h(
    'form',
    { className: 'change-form ask', data: { streamId } },
    fieldset,
    disabled,
    status,
    answer,
    figures,
  );
  let controller: AbortController | undefined;

  const finish = (state: 'done' | 'error', text?: string) => {
    form.dataset.state = state;
    status.dataset.state = state;
    if (text !== undefined) status.textContent = text;
    fieldset.dataset.busy = 'false';
    fieldset.disabled = false;
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    controller?.abort();
    controller = new AbortController();
    const body: DashboardAskRequest = { stream: streamId, question: question.value };
    if (provider.value.trim()) body.provider = provider.value.trim();
    if (model.value.trim()) body.model = model.value.trim();
    answer.replaceChildren();
    figures.replaceChildren();
    form.dataset.state = 'asking';
    status.dataset.state = 'asking';
    status.textContent = 'asking…';
    fieldset.dataset.busy = 'true';
    fieldset.disabled = true;
    void run(body, controller.signal);
  });

  async function run(body: DashboardAskRequest, signal: AbortSignal): Promise<void> {
    const started = performance.now();
    let response: Response;
    try {
      response = await fetch('/api/ask', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream', [CHANGE_HEADER]: '1' },
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      finish('error', `the dashboard did not answer: ${String(error)}`);
      return;
    }
    if (!response.ok || !response.body) {
      const reply = await readReply<unknown>(response);
      finish('error', reply.ok ? `unexpected answer ${response.status}` : reply.error);
      return;
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const events = new SseReader();
    let tokens = 0;
    let ended = false;
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const { event, data } of events.push(value)) {
          if (event === 'context') {
            const context = JSON.parse(data) as DashboardAskEvents['context'];
            status.dataset.state = 'asking';
            status.textContent = context.text;
          } else if (event === 'token') {
            const { text } = JSON.parse(data) as DashboardAskEvents['token'];
            if (tokens === 0) answer.dataset.firstTokenMs = String(Math.round(performance.now() - started));
            tokens += 1;
            answer.dataset.tokens = String(tokens);
            // The model's text, as text.
            answer.append(text);
          } else if (event === 'done') {
            const done = JSON.parse(data) as DashboardAskEvents['done'];
            ended = true;
            figures.replaceChildren(
              h('span', { data: { figure: 'ttft' } }, `time to first token ${duration(done.ttftMs)}`),
              ', ',
              h('span', { data: { figure: 'total' } }, `total ${duration(done.totalMs)}`),
              ', ',
              h(
                'span',
                { data: { figure: 'tokens' } },
                `tokens ${compactCount(done.inputTokens)} in / ${compactCount(done.outputTokens)} out`,
              ),
              ', ',
              h('span', { data: { figure: 'cost' } }, askCost(done.costUsd)),
            );
            figures.title = done.text;
            finish('done');
          } else if (event === 'error') {
            ended = true;
            finish('error', (JSON.parse(data) as DashboardAskEvents['error']).error);
          }
        }
      }
      if (!ended) finish('error', 'the answer stopped before its end (the dashboard went away?)');
    } catch (error) {
      if (!signal.aborted) finish('error', `the answer stopped: ${String(error)}`);
    }
  }

  return form;
}
