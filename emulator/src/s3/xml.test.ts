import { describe, expect, it } from 'vitest';
import { element, readFlag, readItems } from './xml.js';

describe('S3 XML', () => {
  it('reads the parts of a CompleteMultipartUpload body as the SDK writes it', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>&quot;abc&quot;</ETag><PartNumber>1</PartNumber></Part><Part><ETag>&quot;def&quot;</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>';
    expect(readItems(xml, 'CompleteMultipartUpload', 'Part')).toEqual([
      { ETag: '"abc"', PartNumber: '1' },
      { ETag: '"def"', PartNumber: '2', ChecksumCRC32: 'AAAAAA==' },
    ]);
  });

  it('reads Delete objects and the Quiet flag; refuses DTDs and foreign roots', () => {
    const xml = '<Delete><Object><Key>a&amp;b</Key></Object><Quiet>true</Quiet></Delete>';
    expect(readItems(xml, 'Delete', 'Object')).toEqual([{ Key: 'a&b' }]);
    expect(readFlag(xml, 'Quiet')).toBe('true');
    expect(() => readItems('<!DOCTYPE x [<!ENTITY a "b">]><Delete/>', 'Delete', 'Object')).toThrow(
      expect.objectContaining({ code: 'MalformedXML' }),
    );
    expect(() => readItems('<Other></Other>', 'Delete', 'Object')).toThrow(
      expect.objectContaining({ code: 'MalformedXML' }),
    );
  });

  it('escapes element text', () => {
    expect(element('Key', `a<b>&"'`)).toBe('<Key>a&lt;b&gt;&amp;&quot;&apos;</Key>');
  });
});
