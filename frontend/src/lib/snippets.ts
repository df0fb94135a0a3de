/** Ready-to-run requests for a deployment, in the input format its model needs. */
import type { Deployment } from "./api";
import { exampleRows, features, isFrame, type Signature } from "./signature";

export type Snippet = { id: string; label: string; code: string };

export function snippets(d: Deployment, sig: Signature | null): Snippet[] {
  const rows = exampleRows(sig);
  const body = JSON.stringify({ data: rows });
  const base = d.url.slice(0, d.url.indexOf("/api/v1/"));
  const auth = d.public ? "" : ` \\\n  -H "X-API-Key: $KUBESERVE_API_KEY"`;
  const feats = features(sig);
  const v2Inputs = isFrame(sig)
    ? feats.map((f) => `        tensor(${JSON.stringify(f.name)}, [[${JSON.stringify(f.example)}]]${f.type === "string" ? ', "BYTES"' : ""}),`).join("\n")
    : `        tensor("input-0", ${JSON.stringify(rows)}),`;
  const hostPath = d.url.replace(/^https?:\/\//, "");
  const key = d.public ? "" : `, api_key=os.environ["KUBESERVE_API_KEY"]`;
  const headers = d.public ? "{}" : `{"X-API-Key": os.environ["KUBESERVE_API_KEY"]}`;
  return [
    {
      id: "curl",
      label: "curl",
      code: `curl -s -X POST ${d.url}${auth} \\\n  -H "content-type: application/json" \\\n  -d '${body}'`,
    },
    {
      id: "python",
      label: "Python SDK",
      code: `import os\nfrom kubeserve.client import Client\n\nks = Client(${JSON.stringify(base)}${key})\nprint(ks.predict(${JSON.stringify(d.name)}, ${JSON.stringify(rows)}))`,
    },
    {
      id: "triton",
      label: "Triton client",
      code: [
        "import os",
        "import numpy as np",
        "import tritonclient.http as httpclient",
        "",
        "def tensor(name, rows, datatype=\"FP64\"):",
        "    array = np.asarray(rows, dtype=object if datatype == \"BYTES\" else np.float64)",
        "    t = httpclient.InferInput(name, list(array.shape), datatype)",
        "    t.set_data_from_numpy(array, binary_data=False)",
        "    return t",
        "",
        `client = httpclient.InferenceServerClient(${JSON.stringify(hostPath)}${d.url.startsWith("https") ? ", ssl=True" : ""})`,
        "result = client.infer(",
        `    ${JSON.stringify(d.model_name)},`,
        "    [",
        v2Inputs,
        "    ],",
        '    outputs=[httpclient.InferRequestedOutput("predict", binary_data=False)],',
        `    headers=${headers},`,
        ")",
        'print(result.as_numpy("predict"))',
      ].join("\n"),
    },
    {
      id: "kserve",
      label: "KServe client",
      code: `import asyncio, os\nfrom kserve import InferenceRESTClient, InferRequest, InferInput, RESTConfig\n\nasync def main():\n    client = InferenceRESTClient(RESTConfig(protocol="v2"))\n    inputs = [InferInput("input-0", [${rows.length}, ${feats.length}], "FP64", data=${JSON.stringify(isFrame(sig) ? [feats.map((f) => f.example)] : rows)})]\n    request = InferRequest(model_name=${JSON.stringify(d.model_name)}, infer_inputs=inputs)\n    response = await client.infer(${JSON.stringify(d.url)}, request, model_name=${JSON.stringify(d.model_name)}, headers=${headers})\n    print(response.outputs[0].data)\n\nasyncio.run(main())`,
    },
  ];
}
