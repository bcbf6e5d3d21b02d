/**
 * Windows event-log entries as EvtRender(EvtRenderEventXml) gives them, parsed into plain objects.
 * The schema is fixed and small (System + EventData/UserData), so a focused parser does.
 */
export interface WindowsEvent {
  readonly provider: string;
  readonly eventId: number;
  readonly level: number;
  readonly timeCreated: string;
  readonly channel: string;
  readonly computer: string;
  /** Named <Data Name="x"> values; unnamed ones as param1, param2, … */
  readonly data: Readonly<Record<string, string>>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function decodeXmlText(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity.startsWith('#x') || entity.startsWith('#X'))
      return String.fromCodePoint(parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(parseInt(entity.slice(1), 10));
    return ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

function attribute(xml: string, element: string, name: string): string {
  const match = new RegExp(`<${element}\\b[^>]*\\s${name}=(['"])(.*?)\\1`, 's').exec(xml);
  return match ? decodeXmlText(match[2]!) : '';
}

function text(xml: string, element: string): string {
  const match = new RegExp(`<${element}\\b[^>]*>(.*?)</${element}>`, 's').exec(xml);
  return match ? decodeXmlText(match[1]!.trim()) : '';
}

export function parseEventXml(xml: string): WindowsEvent {
  const system = /<System>(.*?)<\/System>/s.exec(xml)?.[1];
  if (!system) throw new TypeError('Not a Windows event: no <System> element.');
  const data: Record<string, string> = {};
  let unnamed = 0;
  const payload = /<(EventData|UserData)>(.*?)<\/\1>/s.exec(xml)?.[2] ?? '';
  for (const match of payload.matchAll(
    /<Data(?:\s+Name=(['"])(.*?)\1)?\s*(?:\/>|>(.*?)<\/Data>)/gs,
  )) {
    const key = match[2] ?? `param${++unnamed}`;
    data[key] = decodeXmlText(match[3] ?? '').trim();
  }
  // UserData carries its values as child elements of one wrapper element.
  if (/^\s*<(?!Data\b)\w/.test(payload)) {
    for (const match of payload.matchAll(/<(\w+)>([^<]*)<\/\1>/g))
      data[match[1]!] = decodeXmlText(match[2]!.trim());
  }
  return {
    provider: attribute(system, 'Provider', 'Name'),
    eventId: Number(text(system, 'EventID')),
    level: Number(text(system, 'Level') || 0),
    timeCreated: attribute(system, 'TimeCreated', 'SystemTime'),
    channel: text(system, 'Channel'),
    computer: text(system, 'Computer'),
    data,
  };
}
