"use client";
/** The frame of every signed-in page: header with navigation, the user, log out. */
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { useSession } from "@/lib/session";
import { LoadingState } from "./ui";

const NAV = [
  { href: "/", label: "Models" },
  { href: "/deployments/", label: "Deployments" },
  { href: "/keys/", label: "API keys" },
];
const ADMIN_NAV = { href: "/admin/", label: "Users" }; // admins only

function isCurrent(pathname: string, href: string): boolean {
  if (href === "/") return pathname === "/" || pathname.startsWith("/model") || pathname.startsWith("/version") || pathname.startsWith("/upload");
  return pathname.startsWith(href.replace(/\/$/, "")) || (href === "/deployments/" && pathname.startsWith("/deployment"));
}

export function Shell({ children }: { children: ReactNode }) {
  const { user, status, logout } = useSession();
  const pathname = usePathname();
  const router = useRouter();

  useEffect(() => {
    if (status === "out") {
      const next = typeof window === "undefined" ? "/" : window.location.pathname + window.location.search;
      router.replace(`/login/?next=${encodeURIComponent(next)}`);
    }
  }, [status, router]);

  async function onLogout() {
    await logout();
    router.replace("/login/");
  }

  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-50 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        Skip to content
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3">
          <Link href="/" className="flex items-center gap-2 font-semibold text-slate-900">
            <span aria-hidden className="grid h-7 w-7 place-items-center rounded-md bg-indigo-600 text-xs font-bold text-white">
              KS
            </span>
            KubeServe
          </Link>
          <nav aria-label="Main" className="order-3 w-full sm:order-none sm:w-auto">
            <ul className="flex gap-1">
              {(user?.role === "admin" ? [...NAV, ADMIN_NAV] : NAV).map((item) => {
                const current = isCurrent(pathname, item.href);
                return (
                  <li key={item.href}>
                    <Link href={item.href} aria-current={current ? "page" : undefined} className={`rounded-md px-3 py-1.5 text-sm font-medium ${current ? "bg-indigo-50 text-indigo-800" : "text-slate-700 hover:bg-slate-100"}`}>
                      {item.label}
                    </Link>
                  </li>
                );
              })}
            </ul>
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            {user && <span className="hidden text-slate-600 md:inline" data-testid="user-email">{user.email}</span>}
            {user && (
              <button type="button" onClick={onLogout} className="rounded-md px-3 py-1.5 font-medium text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50">
                Log out
              </button>
            )}
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-6 sm:py-8">
        {status === "in" ? children : <LoadingState label="Checking your session" />}
      </main>
    </>
  );
}
