// Results as page content: category bars, attribute tags, the landmark table, timings and the
// model card. Each shown value carries its exact number in a data- attribute (for the tests,
// and for anyone who wants more digits than the text shows).

const percent = (p) => `${(100 * p).toFixed(1)}%`;
const label = (name) => name.replaceAll('_', ' ');

function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key === 'style') node.style.cssText = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

export function renderCategories(list, categories) {
  list.replaceChildren(...(categories ?? []).map((c) =>
    element('li', { 'data-index': c.index, 'data-name': c.name, 'data-probability': c.probability },
            element('span', { class: 'name' }, c.name || `category ${c.index}`),
            element('span', { class: 'bar', 'aria-hidden': 'true', style: `--p: ${100 * c.probability}%` }),
            element('span', { class: 'value' }, percent(c.probability)))));
}

export function renderAttributes(container, groups, threshold) {
  container.replaceChildren(...(groups ?? []).map((group) => {
    const tags = group.tags.map((t) =>
      element('li', { class: 'tag', 'data-index': t.index, 'data-name': t.name, 'data-probability': t.probability },
              `${t.name} `, element('span', { class: 'value' }, percent(t.probability))));
    const body = tags.length ? element('ul', { class: 'tags' }, ...tags)
                             : element('p', { class: 'none' }, `none at ${percent(threshold)} or above`);
    return element('section', { class: 'attribute-group', 'data-type': group.type }, element('h4', {}, group.type), body);
  }));
}

// Every landmark the network gives, as `vestis predict` lists them; the ones not drawn on the
// photo (outside it, or a point the garment type lacks) are greyed and say why.
export function renderLandmarks(body, landmarks) {
  body.replaceChildren(...(landmarks ?? []).map((l) => {
    const drawn = l.drawn !== false;
    const name = element('th', { scope: 'row' }, label(l.name));
    if (!drawn) name.append(' ', element('span', { class: 'why' }, `(not drawn${l.hiddenBecause ? `: ${l.hiddenBecause}` : ''})`));
    return element('tr', { 'data-name': l.name, 'data-x': l.x, 'data-y': l.y, 'data-confidence': l.confidence,
                           'data-second-peak': l.secondPeak,
                           'data-drawn': drawn, ...(drawn ? {} : { class: 'not-drawn' }) },
                   name, element('td', {}, l.x.toFixed(1)), element('td', {}, l.y.toFixed(1)),
                   element('td', {}, l.confidence.toFixed(2)));
  }));
}

export function renderTimings(list, timings) {
  const rows = Object.entries(timings).filter(([, ms]) => Number.isFinite(ms));
  const total = rows.reduce((sum, [, ms]) => sum + ms, 0);
  list.replaceChildren(...[...rows, ['total', total]].flatMap(([stage, ms]) =>
    [element('dt', {}, stage), element('dd', { 'data-stage': stage, 'data-ms': ms }, `${ms.toFixed(1)} ms`)]));
}

// A short description of a model from its card (as the person gave it; shared/ validated it).
export function renderCard(list, card, extra = {}) {
  const rows = [];
  const add = (term, value) => { if (value !== undefined && value !== null && value !== '') rows.push([term, String(value)]); };
  add('model', card.name);
  const input = card.input ?? {};
  add('input', `${input.width}×${input.height}, crop ${input.crop?.policy ?? 'stretch'}` +
               (input.crop?.margin ? ` with ${input.crop.margin} margin` : ''));
  const outputs = card.outputs ?? {};
  add('heads', [card.categories?.length ? `${card.categories.length} categories` : null,
                outputs.attribute_logits ? `${card.attributes.length} attributes (${outputs.attribute_encoding ?? 'two_class'})` : null,
                outputs.landmark_heatmaps ? `${card.landmarks.length} landmarks` : null,
                outputs.attention ? 'attention map' : null].filter(Boolean).join(', '));
  const model = card.training?.model;
  if (model) add('network', [model.kind, model.backbone, model.width && model.width !== 1 ? `width ${model.width}` : null].filter(Boolean).join(', '));
  const epochs = card.training?.epochs;
  add('trained', epochs !== undefined ? `${epochs} epoch${epochs === 1 ? '' : 's'}` : undefined);
  const test = card.metrics?.test;
  if (test) {
    const score = (key) => (typeof test[key] === 'number' ? percent(test[key]) : null);
    add('test set', [test.images !== undefined ? `${test.images} images` : null,
                     score('category_top1') && `top-1 ${score('category_top1')}`,
                     score('category_top3') && `top-3 ${score('category_top3')}`,
                     score('attribute_map') && `tag mAP ${score('attribute_map')}`,
                     score('attribute_f1_micro') && `micro-F1 ${score('attribute_f1_micro')}`,
                     score('attribute_top5_recall') && `attribute recall@5 ${score('attribute_top5_recall')}`,
                     typeof test.landmark_error === 'number' ? `landmark error ${test.landmark_error.toFixed(3)}` : null]
      .filter(Boolean).join(', '));
  }
  const by = card.produced_by;
  if (by) add('exported', [by.vestis_version && `Vestis ${by.vestis_version}`, by.commit && `(${by.commit})`, by.date,
                           by.weights && `${by.weights} weights`].filter(Boolean).join(' '));
  for (const [term, value] of Object.entries(extra)) add(term, value);
  list.replaceChildren(...rows.flatMap(([term, value]) => [element('dt', {}, term), element('dd', {}, value)]));
}

// The attribute threshold a card gives (chosen on validation at export), or null.
export function cardThreshold(card) {
  const value = card?.threshold;
  return typeof value === 'number' && value >= 0 && value <= 1 ? value : null;
}

// Which outputs a card lists (an empty output name means the model lacks it, as in model_card.h).
export const cardOutputs = (card) => {
  const outputs = card?.outputs ?? {};
  return { categories: Boolean(outputs.category_logits), attributes: Boolean(outputs.attribute_logits),
           landmarks: Boolean(outputs.landmark_heatmaps),
           heatmaps: Boolean(outputs.landmark_heatmaps), attention: Boolean(outputs.attention) };
};
