import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api";

export function useVersion(id: number) {
  return useQuery({
    queryKey: ["versions", id],
    queryFn: () => unwrap(api.GET("/api/v1/versions/{version_id}", { params: { path: { version_id: id } } })),
    enabled: id > 0,
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      return status === "Building" || status === "Pending" ? 1000 : false;
    },
  });
}

export function useVersionDeployments(id: number) {
  return useQuery({
    queryKey: ["versions", id, "deployments"],
    queryFn: () =>
      unwrap(api.GET("/api/v1/versions/{version_id}/deployments", { params: { path: { version_id: id } } })),
    enabled: id > 0,
  });
}

export function useDeleteVersion() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (id: number) =>
      unwrap(api.DELETE("/api/v1/versions/{version_id}", { params: { path: { version_id: id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["models"] }),
  });
}
