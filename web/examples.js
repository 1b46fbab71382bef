// Example photos served beside the page (examples/, listed in examples/examples.json so the list
// is data): a strip of thumbnails. A click turns the photo into a File, which the page then
// opens exactly as one the person chose.

const listUrl = new URL('examples/examples.json', location.href);

// -> [{file, label, source, licence, url}]; throws when the list is missing or unreadable.
export async function loadExamples() {
  const response = await fetch(listUrl, { cache: 'no-cache' });
  if (!response.ok) throw new Error(`examples/examples.json: ${response.status} ${response.statusText}`);
  const list = (await response.json())?.examples;
  if (!Array.isArray(list)) throw new Error('examples/examples.json has no "examples" list');
  // A plain file name in examples/: an entry cannot point the page anywhere else.
  return list.filter((entry) => typeof entry?.file === 'string' && /^[\w][\w.-]*$/.test(entry.file))
    .map((entry) => ({ ...entry, label: entry.label || entry.file, url: new URL(entry.file, listUrl) }));
}

// 'owner/name' for a GitHub address, else the source as written.
const sourceName = (source) => source?.match(/^https:\/\/github\.com\/([^/]+\/[^/]+)/)?.[1] ?? source;

// One button per example, its thumbnail the photo itself (they are small); `onChoose(example)`.
export function renderExamples(list, credit, examples, onChoose) {
  list.replaceChildren(...examples.map((example) => {
    const image = document.createElement('img');
    Object.assign(image, { src: example.url.href, alt: '', decoding: 'async' });
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'example';
    button.dataset.file = example.file;
    button.title = [`${example.label} (${example.file})`, example.licence, sourceName(example.source)].filter(Boolean).join(', ');
    button.append(image, Object.assign(document.createElement('span'), { textContent: example.label }));
    button.addEventListener('click', () => onChoose(example));
    const item = document.createElement('li');
    item.append(button);
    return item;
  }));
  const unique = (values) => [...new Set(values.filter(Boolean))].join(', ');
  credit.textContent = `Example photos: ${unique(examples.map((e) => e.licence)) || 'see examples/'}` +
    `${examples.some((e) => e.source) ? `, from ${unique(examples.map((e) => sourceName(e.source)))}` : ''}.`;
}

// The example's photo as a File named as it is served, as the file picker would give it.
export async function fetchExample(example) {
  const response = await fetch(example.url);
  if (!response.ok) throw new Error(`${example.url.pathname}: ${response.status} ${response.statusText}`);
  const blob = await response.blob();
  return new File([blob], example.file, { type: blob.type });
}
