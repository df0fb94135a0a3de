import Link from "next/link";

export default function NotFound() {
  return (
    <main id="main" className="flex min-h-screen flex-col items-center justify-center gap-3 px-4 text-center">
      <h1 className="text-2xl font-semibold">Page not found</h1>
      <p className="text-slate-600">This page does not exist in the KubeServe dashboard.</p>
      <Link href="/" className="font-medium text-indigo-700 hover:underline">Back to your models</Link>
    </main>
  );
}
