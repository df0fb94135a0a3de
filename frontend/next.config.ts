import type { NextConfig } from "next";

// A static export served by the control plane at `/` (see src/kubeserve/dashboard.py).
const config: NextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  poweredByHeader: false,
  reactStrictMode: true,
};

export default config;
