import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Version } from "@/lib/api";

export const modelKeys = {
  all: ["models"] as const,
  one: (id: number) => ["models", id] as const,
  versions: (id: number) => ["models", id, "versions"] as const,
};

export function useModels() {
  return useQuery({
    queryKey: modelKeys.all,
    queryFn: () => unwrap(api.GET("/api/v1/models", { params: { query: { limit: 500 } } })),
  });
}

export function useModel(id: number) {
  return useQuery({
    queryKey: modelKeys.one(id),
    queryFn: () => unwrap(api.GET("/api/v1/models/{model_id}", { params: { path: { model_id: id } } })),
    enabled: id > 0,
  });
}

/** Versions, polled while one of them is still building. */
export function useVersions(modelId: number) {
  return useQuery({
    queryKey: modelKeys.versions(modelId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/models/{model_id}/versions", { params: { path: { model_id: modelId } } })),
    enabled: modelId > 0,
    refetchInterval: (query) => (isBuilding(query.state.data) ? 1000 : false),
  });
}

export function isBuilding(versions: Version[] | undefined): boolean {
  return (versions ?? []).some((v) => v.status === "Building" || v.status === "Pending");
}

export function useDeleteModel() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/api/v1/models/{model_id}", { params: { path: { model_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: modelKeys.all }),
  });
}

export function useUploadRules() {
  return useQuery({
    queryKey: ["upload-rules"],
    queryFn: () => unwrap(api.GET("/api/v1/upload-rules")),
    staleTime: Infinity,
  });
}
