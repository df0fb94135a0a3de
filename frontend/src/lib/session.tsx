"use client";
/** Who is logged in. The token is an httpOnly cookie; only the CSRF token is held here, in memory. */
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, setCsrfToken, unwrap, type User } from "./api";

type Status = "loading" | "in" | "out";
type SessionValue = {
  user: User | null;
  status: Status;
  login: (email: string, password: string) => Promise<void>;
  logout: () => Promise<void>;
  expire: () => void;
};

const SessionContext = createContext<SessionValue | null>(null);

export function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [user, setUser] = useState<User | null>(null);
  const [status, setStatus] = useState<Status>("loading");

  const signIn = useCallback((next: { user: User; csrf_token: string }) => {
    setCsrfToken(next.csrf_token);
    setUser(next.user);
    setStatus("in");
  }, []);

  const expire = useCallback(() => {
    setCsrfToken(null);
    setUser(null);
    setStatus("out");
    queryClient.clear();
  }, [queryClient]);

  useEffect(() => {
    unwrap(api.GET("/api/v1/auth/session")).then(signIn, expire);
  }, [signIn, expire]);

  const login = useCallback(
    async (email: string, password: string) => {
      queryClient.clear();
      signIn(await unwrap(api.POST("/api/v1/auth/session", { body: { email, password } })));
    },
    [queryClient, signIn],
  );

  const logout = useCallback(async () => {
    try {
      await unwrap(api.POST("/api/v1/auth/logout"));
    } finally {
      expire(); // an expired session (401) is logged out already
    }
  }, [expire]);

  const value = useMemo(() => ({ user, status, login, logout, expire }), [user, status, login, logout, expire]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside SessionProvider");
  return value;
}
