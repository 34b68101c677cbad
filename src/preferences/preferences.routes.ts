import type { FastifyInstance } from 'fastify';
import { principalOf } from '../http/auth-hook.ts';
import { ProblemSchema } from '../http/problem.ts';
import { PreferencesPatch, type PreferencesPatchBody, PreferencesSchema } from './preferences.schemas.ts';
import type { PreferencesService } from './preferences.service.ts';

const tags = ['Accounts'];
const security = [{ bearerAuth: [] }];

/** /account/preferences: the caller's display units and daily goals (protected scope). */
export function preferencesRoutes(app: FastifyInstance, preferences: PreferencesService): void {
  app.get(
    '/account/preferences',
    {
      schema: {
        tags,
        security,
        summary: 'Display units and daily goals',
        description:
          'The units the dashboard shows values in and the daily goals of its Today page. Data keeps its canonical units (docs/api.md); these only change how values are displayed.',
        response: { 200: PreferencesSchema, 401: ProblemSchema },
      },
    },
    async (req) => preferences.get(principalOf(req)),
  );
  app.patch<{ Body: PreferencesPatchBody }>(
    '/account/preferences',
    {
      schema: {
        tags,
        security,
        summary: 'Change display units or daily goals',
        description:
          'Fields left out keep their value. `units.system` (metric or imperial) sets all three units; a unit named beside it wins. 400 names the field that is not valid.',
        body: PreferencesPatch,
        response: { 200: PreferencesSchema, 400: ProblemSchema, 401: ProblemSchema },
      },
    },
    async (req) => preferences.update(principalOf(req), req.body),
  );
}
