import * as z from 'zod';

/** Longest text part accepted (characters). Longer input is a ValidationError. */
export const MAX_TEXT_LENGTH = 65_536;

const url = z.string().min(1).max(4096);

/** Plain text. */
export const TextPart = z.object({ type: z.literal('text'), text: z.string().min(1).max(MAX_TEXT_LENGTH) });
/** An image, audio, video, document or sticker, by URL (or provider media id). */
export const MediaPart = z.object({
  type: z.literal('media'),
  url,
  mimeType: z.string().max(255).optional(),
  filename: z.string().max(1024).optional(),
  size: z.number().int().nonnegative().optional(),
  caption: z.string().max(MAX_TEXT_LENGTH).optional(),
});
/** A shared location. */
export const LocationPart = z.object({
  type: z.literal('location'),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().max(1024).optional(),
  address: z.string().max(2048).optional(),
});
/** A shared contact card. */
export const ContactPart = z.object({
  type: z.literal('contact'),
  name: z.string().min(1).max(1024),
  phones: z.array(z.string().max(64)).max(20).optional(),
  emails: z.array(z.string().max(320)).max(20).optional(),
});
/** A pre-approved template message (WhatsApp templates, Messenger message tags). */
export const TemplatePart = z.object({
  type: z.literal('template'),
  name: z.string().min(1).max(512),
  language: z.string().min(2).max(16),
  params: z.array(z.string().max(4096)).max(100).optional(),
});
/** A voice call record. */
export const CallPart = z.object({
  type: z.literal('call'),
  callDirection: z.enum(['inbound', 'outbound']).optional(),
  callStatus: z.string().max(64).optional(),
  durationSec: z.number().nonnegative().optional(),
  recordingUrl: url.optional(),
  transcript: z.string().max(MAX_TEXT_LENGTH).optional(),
});
/** A submitted web form. */
export const FormPart = z.object({
  type: z.literal('form'),
  formId: z.string().max(256).optional(),
  fields: z
    .array(
      z.object({
        name: z.string().min(1).max(256),
        label: z.string().max(1024).optional(),
        value: z.string().max(MAX_TEXT_LENGTH),
      }),
    )
    .max(200),
});
/** A reaction (emoji) to an earlier message, by the provider's message id. */
export const ReactionPart = z.object({
  type: z.literal('reaction'),
  emoji: z.string().max(64),
  targetExternalId: z.string().max(1024).optional(),
});

/** One part of a message. A message holds one or more parts. */
export const Part = z.discriminatedUnion('type', [
  TextPart,
  MediaPart,
  LocationPart,
  ContactPart,
  TemplatePart,
  CallPart,
  FormPart,
  ReactionPart,
]);
export type Part = z.infer<typeof Part>;
export type TextPart = z.infer<typeof TextPart>;
export type MediaPart = z.infer<typeof MediaPart>;
export type LocationPart = z.infer<typeof LocationPart>;
export type ContactPart = z.infer<typeof ContactPart>;
export type TemplatePart = z.infer<typeof TemplatePart>;
export type CallPart = z.infer<typeof CallPart>;
export type FormPart = z.infer<typeof FormPart>;
export type ReactionPart = z.infer<typeof ReactionPart>;
/** The `type` of a part. */
export type PartType = Part['type'];
