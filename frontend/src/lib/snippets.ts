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
    ? feats.map((f) => `    tensor(${JSON.stringify(f.name)}, [[${JSON.stringify(f.example)}]]),`).join("\n")
    : `    tensor("input-0", ${JSON.stringify(rows)}),`;
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
      code: `import os\nimport numpy as np\nimport tritonclient.http as httpclient\n\ndef tensor(name, rows):\n    array = np.asarray(rows, dtype=np.float64)\n    t = httpclient.InferInput(name, list(array.shape), "FP64")\n    t.set_data_from_numpy(array, binary_data=False)\n    return t\n\nclient = httpclient.InferenceServerClient(${JSON.stringify(hostPath)}${d.url.startsWith("https") ? ", ssl=True" : ""})\nresult = client.infer(${JSON.stringify(d.model_name)}, [\n${v2Inputs}\n], headers=${headers})\nprint(result.as_numpy("predict"))`,
    },
    {
      id: "kserve",
      label: "KServe client",
      code: `import asyncio, os\nfrom kserve import InferenceRESTClient, InferRequest, InferInput, RESTConfig\n\nasync def main():\n    client = InferenceRESTClient(RESTConfig(protocol="v2"))\n    inputs = [InferInput("input-0", [${rows.length}, ${feats.length}], "FP64", data=${JSON.stringify(isFrame(sig) ? [feats.map((f) => f.example)] : rows)})]\n    request = InferRequest(model_name=${JSON.stringify(d.model_name)}, infer_inputs=inputs)\n    response = await client.infer(${JSON.stringify(d.url)}, request, headers=${headers})\n    print(response.outputs[0].data)\n\nasyncio.run(main())`,
    },
  ];
}
