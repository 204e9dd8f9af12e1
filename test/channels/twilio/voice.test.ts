import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { twilioVoice } from '../../../src/channels/twilio/index.js';
import { PolicyError, ValidationError } from '../../../src/model/errors.js';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  fixture,
  unsignedRequest as form,
  sharedSamples,
  signedRequest,
} from './helpers.js';

const voice = twilioVoice({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
const CALL = `CA${'a3'.repeat(16)}`;
const REC = `RE${'b4'.repeat(16)}`;
const TRANSCRIPTION = `TR${'c5'.repeat(16)}`;
const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${REC}`;
const caller = { kind: 'phone', value: '+14155550123', verified: true };

describe('voice call records', () => {
  it('a completed call becomes a call-part message keyed by CallSid, acknowledged with 204', async () => {
    const raw = await signedRequest(fixture('voice_status_completed.txt'));
    await voice.verify(raw);
    const events = await voice.parse(raw);
    expect(events).toEqual([
      {
        type: 'message',
        message: {
          channel: 'twilio-voice',
          channelKind: 'voice',
          from: caller,
          parts: [{ type: 'call', callDirection: 'inbound', callStatus: 'completed', durationSec: 187 }],
          externalId: CALL,
          meta: { callSid: CALL },
          createdAt: '2026-11-25T08:31:07.000Z',
        },
      },
    ]);
    expect(voice.acknowledge?.(raw, events)).toEqual({ status: 204 });
  });

  it('a <Record action> request becomes a recording message keyed by CallSid:RecordingSid', async () => {
    expect(await voice.parse(form(fixture('voice_record_action.txt')))).toEqual([
      {
        type: 'message',
        message: {
          channel: 'twilio-voice',
          channelKind: 'voice',
          from: caller,
          parts: [{ type: 'call', callDirection: 'inbound', recordingUrl }],
          externalId: `${CALL}:${REC}`,
          meta: { callSid: CALL, recordingSid: REC, recordingDurationSec: 42 },
        },
      },
    ]);
  });

  it('a recordingStatusCallback (no From/To) takes the caller from the callback URL query', async () => {
    const body = fixture('voice_recording_status.txt');
    const url = 'https://support.example.com/webhooks/twilio-voice?From=%2B14155550123&Direction=inbound';
    const raw = await signedRequest(body, url);
    await voice.verify(raw);
    const events = await voice.parse(raw);
    expect(events).toMatchObject([{ message: { from: caller, externalId: `${CALL}:${REC}` } }]);
    // The same recording reported twice (action + status callback) has one externalId: the store dedupes it.
    const [fromAction] = await voice.parse(form(fixture('voice_record_action.txt')));
    expect(fromAction?.type === 'message' && fromAction.message.externalId).toBe(`${CALL}:${REC}`);
  });

  it('a recordingStatusCallback without any caller is a ValidationError naming From', () => {
    expect(() => voice.parse(form(fixture('voice_recording_status.txt')))).toThrow(
      expect.objectContaining({ name: 'ValidationError', field: 'From' }),
    );
  });

  it('a transcription becomes a transcript message keyed by CallSid:TranscriptionSid', async () => {
    expect(await voice.parse(form(fixture('voice_transcription.txt')))).toEqual([
      {
        type: 'message',
        message: {
          channel: 'twilio-voice',
          channelKind: 'voice',
          from: caller,
          parts: [
            {
              type: 'call',
              callDirection: 'inbound',
              transcript: 'Hi, this is Sam, my order 1042 never arrived, please call me back.',
              recordingUrl,
            },
          ],
          externalId: `${CALL}:${TRANSCRIPTION}`,
          meta: { callSid: CALL, transcriptionSid: TRANSCRIPTION, recordingSid: REC },
        },
      },
    ]);
  });

  it('an outbound-api call belongs to the callee and is authored by the system', async () => {
    const body =
      'CallSid=CA1&CallStatus=no-answer&Direction=outbound-api&From=%2B14155550100&To=%2B14155550123';
    expect(await voice.parse(form(body))).toMatchObject([
      {
        message: {
          from: caller,
          author: { type: 'system', name: 'Twilio Voice' },
          parts: [{ type: 'call', callDirection: 'outbound', callStatus: 'no-answer' }],
          externalId: 'CA1',
        },
      },
    ]);
  });

  it.each(['queued', 'initiated', 'ringing', 'in-progress'])(
    'non-final status %s yields no event',
    async (status) => {
      expect(await voice.parse(form(`CallSid=CA1&CallStatus=${status}&From=%2B14155550123`))).toEqual([]);
    },
  );

  it('an outbound-dial leg yields no event', async () => {
    const body =
      'CallSid=CA2&ParentCallSid=CA1&CallStatus=completed&Direction=outbound-dial&To=%2B14155550199';
    expect(await voice.parse(form(body))).toEqual([]);
  });

  it('failed transcriptions and recordings yield no event', async () => {
    expect(await voice.parse(form('CallSid=CA1&TranscriptionStatus=failed&From=%2B1415'))).toEqual([]);
    expect(
      await voice.parse(form('CallSid=CA1&RecordingSid=RE1&RecordingStatus=failed&From=%2B1415')),
    ).toEqual([]);
  });

  it('a body that is no voice callback is a ValidationError', () => {
    expect(() => voice.parse(form('Body=hello'))).toThrow(ValidationError);
  });

  it('send throws a PolicyError: a call cannot carry a text reply', async () => {
    await expect(voice.send({} as never)).rejects.toBeInstanceOf(PolicyError);
  });
});

describe('the shared Twilio voice samples', () => {
  it('every sample parses without error; only the completed ones yield a call record', async () => {
    const samples = sharedSamples('twilio-voice');
    if (!samples) return;
    const results: Record<string, number> = {};
    for (const file of samples.files) {
      const body = readFileSync(path.join(samples.dir, file), 'utf8');
      results[file] = (await voice.parse(form(body))).length;
    }
    expect(results).toEqual({
      'voice_call_in_progress_outbound.txt': 0,
      'voice_incoming_call_client.txt': 0,
      'voice_status_callback_completed.txt': 1,
      'voice_transcription_callback.txt': 1,
    });
  });
});
