import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "@/lib/api";

const POLL_MS = 2000;

export function useDeployments() {
  return useQuery({
    queryKey: ["deployments"],
    queryFn: () => unwrap(api.GET("/api/v1/deployments")),
    refetchInterval: POLL_MS,
  });
}

export function useDeployment(id: number) {
  return useQuery({
    queryKey: ["deployments", id],
    queryFn: () =>
      unwrap(api.GET("/api/v1/deployments/{deployment_id}", { params: { path: { deployment_id: id } } })),
    enabled: id > 0,
    refetchInterval: POLL_MS,
  });
}

export function useReleases(id: number) {
  return useQuery({
    queryKey: ["deployments", id, "releases"],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/deployments/{deployment_id}/releases", { params: { path: { deployment_id: id } } }),
      ),
    enabled: id > 0,
    refetchInterval: POLL_MS,
  });
}

export function useLogs(id: number, follow: boolean) {
  return useQuery({
    queryKey: ["deployments", id, "logs"],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/deployments/{deployment_id}/logs", {
          params: { path: { deployment_id: id }, query: { tail: 200 } },
        }),
      ),
    enabled: id > 0,
    refetchInterval: follow ? POLL_MS : false,
  });
}

export function useCreateDeployment() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["DeploymentCreate"]) => unwrap(api.POST("/api/v1/deployments", { body })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["deployments"] }),
  });
}

function useDeploymentMutation<T>(call: (id: number, arg: T) => Promise<unknown>, id: number) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (arg: T) => call(id, arg),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["deployments"] }),
  });
}

export function useUpdateDeployment(id: number) {
  return useDeploymentMutation(
    (deployment_id, body: Schemas["DeploymentUpdate"]) =>
      unwrap(api.PATCH("/api/v1/deployments/{deployment_id}", { params: { path: { deployment_id } }, body })),
    id,
  );
}

export function useRollback(id: number) {
  return useDeploymentMutation(
    (deployment_id) =>
      unwrap(api.POST("/api/v1/deployments/{deployment_id}/rollback", { params: { path: { deployment_id } } })),
    id,
  );
}

export function useDeleteDeployment(id: number) {
  return useDeploymentMutation(
    (deployment_id) =>
      unwrap(api.DELETE("/api/v1/deployments/{deployment_id}", { params: { path: { deployment_id } } })),
    id,
  );
}
