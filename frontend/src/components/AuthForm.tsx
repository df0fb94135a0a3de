"use client";
/** Log in and sign up: one centred form, errors in words, then on to where the user was going. */
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { api, errorText, unwrap } from "@/lib/api";
import { useSession } from "@/lib/session";
import { Alert, Button, TextField } from "./ui";

export function AuthForm({ mode }: { mode: "login" | "signup" }) {
  const { login, status } = useSession();
  const router = useRouter();
  const params = useSearchParams();
  const next = params.get("next");
  const target = next && /^\/(?![\/\\])/.test(next) ? next : "/"; // same-site paths only: not //host or /\host
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (status === "in" && !busy) router.replace(target);
  }, [status, busy, router, target]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const email = String(form.get("email") ?? "").trim();
    const password = String(form.get("password") ?? "");
    setError(null);
    setBusy(true);
    try {
      if (mode === "signup") await unwrap(api.POST("/api/v1/auth/register", { body: { email, password } }));
      await login(email, password);
      router.replace(target);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  const signup = mode === "signup";
  return (
    <main id="main" className="flex min-h-screen items-center justify-center px-4 py-10">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center justify-center gap-2 text-lg font-semibold">
          <span aria-hidden className="grid h-8 w-8 place-items-center rounded-md bg-indigo-600 text-xs font-bold text-white">
            KS
          </span>
          KubeServe
        </div>
        <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
          <h1 className="text-xl font-semibold text-slate-900">{signup ? "Create your account" : "Log in"}</h1>
          <p className="mt-1 text-sm text-slate-600">
            {signup ? "From a model file to a live prediction endpoint in minutes." : "Welcome back."}
          </p>
          <form className="mt-5 space-y-4" onSubmit={onSubmit} noValidate>
            <TextField label="Email" name="email" type="email" autoComplete="email" required />
            <TextField
              label="Password"
              name="password"
              type="password"
              autoComplete={signup ? "new-password" : "current-password"}
              hint={signup ? "At least 8 characters." : undefined}
              required
            />
            {error && <Alert>{error}</Alert>}
            <Button type="submit" className="w-full" disabled={busy}>
              {busy ? "Please wait…" : signup ? "Sign up" : "Log in"}
            </Button>
          </form>
        </div>
        <p className="mt-4 text-center text-sm text-slate-600">
          {signup ? "Already have an account? " : "New to KubeServe? "}
          <Link className="font-medium text-indigo-700 hover:underline" href={signup ? "/login/" : "/signup/"}>
            {signup ? "Log in" : "Create an account"}
          </Link>
        </p>
      </div>
    </main>
  );
}
