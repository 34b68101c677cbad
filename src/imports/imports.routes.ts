import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import Type from 'typebox';
import { invalidField } from '../errors.ts';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import { ImportIdParams, ImportListSchema, ImportQueuedSchema, ImportSchema } from './imports.schemas.ts';
import type { ImportsService } from './imports.service.ts';

const tags = ['Health data'];
const security = [{ bearerAuth: [] }];
const errors = { 401: ProblemSchema };

/** Raw upload bodies: handed to the route as the request stream, never buffered. */
const RAW_TYPES = [
  'application/zip',
  'application/x-zip-compressed',
  'application/xml',
  'text/xml',
  'application/octet-stream',
];

/** /imports (protected scope): upload an Apple Health export, follow it, list, undo. */
export async function importsRoutes(
  app: FastifyInstance,
  imports: ImportsService,
  options: { maxBytes: number },
): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(RAW_TYPES, (_req, payload, done) => done(null, payload));
    await scope.register(multipart, { limits: { fileSize: options.maxBytes, files: 1, fields: 0 } });
    scope.post(
      '/imports/apple-health',
      {
        config: { audit: 'imports.create' },
        schema: {
          tags,
          security,
          summary: 'Upload an Apple Health export',
          description:
            'The `export.zip` of the Health app (or its `export.xml`) as the body (`application/zip`, `application/xml`) or as the `file` field of `multipart/form-data`. Streamed to disk, up to IMPORT_MAX_BYTES (413 beyond), and imported in the background: poll GET /imports/{id}. One queued or running import per person (409).',
          response: {
            202: ImportQueuedSchema,
            400: ProblemSchema,
            409: ProblemSchema,
            413: ProblemSchema,
            415: ProblemSchema,
            503: ProblemSchema,
            ...errors,
          },
        },
      },
      async (req, reply) => {
        const principal = principalOf(req);
        if (req.isMultipart()) {
          const part = await req.file();
          if (!part) throw invalidField('file', 'is missing');
          if (part.fieldname !== 'file') {
            part.file.resume();
            throw invalidField('file', `the upload must be the form field "file", not "${part.fieldname}"`);
          }
          const queued = await imports.upload(principal, part.file, { truncated: () => part.file.truncated });
          return reply.code(202).send(queued);
        }
        const body = req.body as Readable | undefined;
        if (body === undefined || body === null)
          throw invalidField('file', 'is missing: send the export as the body');
        if (typeof body.pipe !== 'function')
          throw invalidField(
            'content-type',
            'send the export as application/zip, application/xml or multipart/form-data',
            'UNSUPPORTED_MEDIA_TYPE',
          );
        const length = Number(req.headers['content-length']);
        const queued = await imports.upload(principal, body, {
          declaredBytes: Number.isFinite(length) ? length : undefined,
        });
        return reply.code(202).send(queued);
      },
    );
  });

  app.get(
    '/imports',
    {
      config: { audit: 'imports.list' },
      schema: {
        tags,
        security,
        summary: 'List imports',
        description: 'The caller’s imports, newest first (the last 50).',
        response: { 200: ImportListSchema, ...errors },
      },
    },
    async (req) => imports.list(principalOf(req)),
  );

  app.get<{ Params: Static<typeof ImportIdParams> }>(
    '/imports/:id',
    {
      config: { audit: 'imports.read' },
      schema: {
        tags,
        security,
        summary: 'An import and its progress',
        description:
          'Status, progress (0..1), and what the import did: Observations created, updated and unchanged, records skipped per reason, records mapped per type. Only the caller’s own imports (404 otherwise).',
        params: ImportIdParams,
        response: { 200: ImportSchema, 404: ProblemSchema, ...errors },
      },
    },
    async (req) => imports.get(principalOf(req), req.params.id),
  );

  app.delete<{ Params: Static<typeof ImportIdParams> }>(
    '/imports/:id',
    {
      config: { audit: 'imports.delete' },
      schema: {
        tags,
        security,
        summary: 'Undo an import',
        description:
          'Deletes the Observations this import created (with their `observations.deleted` events) and the import itself. Observations it only updated keep their current content. 409 while it is queued or running.',
        params: ImportIdParams,
        response: {
          204: Type.Null({ description: 'Undone' }),
          404: ProblemSchema,
          409: ProblemSchema,
          ...errors,
        },
      },
    },
    async (req, reply) => {
      await imports.remove(principalOf(req), req.params.id);
      return reply.code(204).send();
    },
  );
}
