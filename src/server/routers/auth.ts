import { z } from 'zod';
import { zLoginInput, zLoginOutput, zSuccess, zUser } from '../../shared/schemas.js';
import { authedProcedure, publicProcedure, router } from '../trpc.js';

export const authRouter = router({
  login: publicProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/login', tags: ['auth'], protect: false, summary: 'Log in' } })
    .input(zLoginInput)
    .output(zLoginOutput)
    .mutation(async ({ ctx, input }) => {
      const result = await ctx.app.auth.login(input.username, input.password, ctx.address);
      ctx.res.appendHeader('Set-Cookie', ctx.app.sessions.cookie(result.token, ctx.secure));
      return { token: result.token, expires_at: result.expiresAt.toISOString(), user: result.user };
    }),

  logout: authedProcedure
    .meta({ openapi: { method: 'POST', path: '/auth/logout', tags: ['auth'], summary: 'Log out; the token stops working' } })
    .input(z.void())
    .output(zSuccess)
    .mutation(async ({ ctx }) => {
      await ctx.app.auth.logout(ctx.session.token, ctx.session.user, ctx.address, ctx.session.apiToken);
      ctx.res.appendHeader('Set-Cookie', ctx.app.sessions.blankCookie(ctx.secure));
      return { success: true as const };
    }),

  me: authedProcedure
    .meta({ openapi: { method: 'GET', path: '/auth/me', tags: ['auth'], summary: 'The logged-in user' } })
    .input(z.void())
    .output(z.object({ user: zUser, expires_at: z.iso.datetime() }))
    .query(({ ctx }) => ({ user: ctx.session.user, expires_at: ctx.session.expiresAt.toISOString() })),
});
